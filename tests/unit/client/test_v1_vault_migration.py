"""A device whose local vault and server records were made by the version 1 client keeps
working (spec/protocol.md §11.6): the schema 1 file is upgraded in place when opened, its
items count as seen at their revisions, an edit it had not pushed yet is pushed, and every
item whose latest record is version 1 is re-written as a version 2 write."""

from __future__ import annotations

import sqlite3
from typing import Any

from tests.unit.client.test_sync import Make, _item, _titles

from safehold import wire
from safehold.client.store import VaultStore
from safehold.crypto import b64encode, new_item_id

V1_TABLES = ("seen", "writers", "claims", "quarantine", "pending")


def _v1_push(api: Any, item_id: str, base: int, envelope: bytes | None) -> int:
    """A write as the version 1 client sent it: no device, no seq, no sealed tombstone."""
    answer = api.push([wire.Write(item_id=item_id, base_revision=base,
                                  envelope=None if envelope is None else b64encode(envelope))])  # fmt: skip
    result = answer.results[0]
    assert result.status is wire.WriteStatus.OK
    return int(result.revision)


def _make_v1_file(
    path: Any, items: dict[str, tuple[bytes | None, int]], outbox: list[str], cursor: int
) -> None:
    """Turn the vault file into what the version 1 client left: schema 1, no v2 tables."""
    db = sqlite3.connect(path)
    with db:
        for table in V1_TABLES:
            db.execute(f"DROP TABLE {table}")
        db.execute("DELETE FROM meta WHERE key IN ('seq', 'last_write', 'last_sync')")
        db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
        db.execute("UPDATE meta SET value = ? WHERE key = 'cursor'", (str(cursor),))
        db.execute("DELETE FROM items")
        db.execute("DELETE FROM outbox")
        for item_id, (envelope, revision) in items.items():
            db.execute("INSERT INTO items(item_id, local, base, revision) VALUES (?, ?, ?, ?)",
                       (item_id, envelope, envelope, revision))  # fmt: skip
        for item_id in outbox:
            db.execute("INSERT INTO outbox(item_id) VALUES (?)", (item_id,))
    db.close()


def test_a_v1_vault_and_v1_records_are_upgraded_and_rewritten(make_service: Make) -> None:
    service = make_service("d0")
    a, key = service.signup("ann@example.com", "correct horse", "hint")
    cipher = a.cipher
    ids = [new_item_id().hex() for _ in range(3)]
    envelopes = {
        i: cipher.seal_item(bytes.fromhex(i), _item(f"Item {n}", password=f"pw{n}"))
        for n, i in enumerate(ids)
    }
    gone = new_item_id().hex()
    with a.api() as api:
        revisions = {i: _v1_push(api, i, 0, env) for i, env in envelopes.items()}
        _v1_push(api, gone, 0, cipher.seal_item(bytes.fromhex(gone), _item("Gone")))
        _v1_push(api, gone, 1, None)  # a version 1 deletion: a plain tombstone
        cursor = api.changes(0, 1000).cursor
    # An edit the v1 client had saved but not pushed yet.
    edited = cipher.seal_item(bytes.fromhex(ids[0]), _item("Item 0", password="edited offline"))
    local = {i: (envelopes[i], revisions[i]) for i in ids}
    local[ids[0]] = (edited, revisions[ids[0]])
    path, account_id, vk, token = a.store.path, a.account_id, a.vk, a.token
    a.close()
    _make_v1_file(path, local, [ids[0]], cursor)

    a = service.resume(account_id, vk, token)
    assert a.store.meta("schema") == "3"
    assert set(a.store.seen_all()) == set(ids)
    report = a.sync()
    assert report.refused == [] and report.quarantined == []
    assert report.pushed == 3  # the offline edit, and the two v1 records re-written as v2
    assert a.store.outbox() == []
    with a.api() as api:
        changes = {c.item_id: c for c in api.changes(0, 1000).changes}
    assert all(changes[i].device == a.store.device_id for i in ids)  # v2 now

    b = make_service("d1").login("ann@example.com", "correct horse", key)
    report = b.sync()
    assert report.refused == [] and report.quarantined == [] and report.gaps == []
    titles = _titles(b)
    assert sorted(titles) == ["Item 0", "Item 1", "Item 2"]
    assert titles["Item 0"]["fields"]["password"] == "edited offline"
    a.close(), b.close()


def test_opening_a_v1_file_twice_upgrades_it_once(tmp_path: Any) -> None:
    path = tmp_path / "vault.db"
    store = VaultStore.create(path, {"account_id": "ab" * 16, "generation": "1", "device_id": "cd" * 16})
    store.close()
    envelope = b"\x01" + bytes(40)
    _make_v1_file(path, {"ef" * 16: (envelope, 4)}, [], 9)
    first = VaultStore.open(path)
    second = VaultStore.open(path)
    assert first.seen_all() == {"ef" * 16: (4, "", 0)} == second.seen_all()
    assert first.sync_cursor == "9" and first.cursor == 9
    first.close(), second.close()
