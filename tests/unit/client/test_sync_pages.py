"""A pull page is taken in one pass (client/sync.py): its rows read in one query, clean
states written in one statement per table at the page's end. These cases put what could
go wrong with that in one page: an item twice, an item edited here beside clean ones, a
sealed deletion, and the cache of opened items a listing after the sync reads from."""

from __future__ import annotations

import secrets
import uuid
from pathlib import Path
from typing import Any

import pytest
from tests.support.engine_world import item

from safehold.client.store import VaultStore
from safehold.client.sync import SyncEngine
from safehold.client.transport import Page, Record
from safehold.client.transports.memory import MemoryStorage, MemoryTransport
from safehold.client.vault import Vault
from safehold.crypto import VaultCipher, WriteCipher, WriteClaims, canonical_json, new_vault_key, prev_ref

WRITER = "ee" * 16


class Pages(MemoryTransport):
    """Storage that serves ``pages`` as they are (one per pull, whatever the cursor), then
    nothing; pushes go to its memory storage."""

    def __init__(self, pages: list[list[Record]]) -> None:
        super().__init__(MemoryStorage())
        self.pages = pages
        self.n = 0

    def pull(self, cursor: str, limit: int) -> Page:
        n, self.n = self.n, self.n + 1
        records = self.pages[n] if n < len(self.pages) else []
        return Page(records, f"{cursor}.{n}", n + 1 < len(self.pages))


class Vaultish:
    def __init__(self, tmp: Path) -> None:
        self.account = uuid.uuid4().hex
        self.vk = new_vault_key()
        meta = {"server": "local", "email": "a@example.com", "account_id": self.account, "generation": "1",
                "device_id": secrets.token_hex(16), "device_name": "here"}  # fmt: skip
        self.store = VaultStore.create(tmp / "vault.db", meta)
        self.writes = WriteCipher(self.vk, bytes.fromhex(self.account), 1)
        self.cipher = VaultCipher(self.vk, bytes.fromhex(self.account), 1)
        self.seq = 0

    def write(self, item_id: str, revision: int, value: dict[str, Any] | None) -> Record:
        self.seq += 1
        prev = None if self.seq == 1 else prev_ref(item_id, revision - 1 if revision > 1 else 1)
        claims = WriteClaims(item_id, revision, WRITER, self.seq, value is None)
        return Record(
            item_id, revision, WRITER, self.seq, self.writes.seal(claims, value, prev), value is None
        )

    def sync(
        self, pages: list[list[Record]], opened: dict[tuple[str, bytes], dict[str, Any]] | None = None
    ) -> Any:
        return SyncEngine(self.store, Pages(pages), self.vk, opened=opened).sync()

    def values(self) -> dict[str, dict[str, Any]]:
        return {s.item_id: s.data for s in Vault(self.store, self.cipher).all(include_templates=True)}


def test_an_item_twice_in_one_page_ends_at_its_later_revision(tmp_path: Path) -> None:
    v = Vaultish(tmp_path)
    a, b = secrets.token_hex(16), secrets.token_hex(16)
    v.sync([[v.write(a, 1, item("A", password="one")), v.write(b, 1, item("B")),
             v.write(a, 2, item("A", password="two"))]])  # fmt: skip
    assert v.values()[a]["fields"]["password"] == "two"
    row = v.store.row(a)
    assert row is not None and row.revision == 2 and not row.dirty
    assert v.store.seen_all()[a] == (2, WRITER, 3)


def test_an_edit_here_is_merged_while_clean_items_beside_it_are_taken_in(tmp_path: Path) -> None:
    v = Vaultish(tmp_path)
    a, b, c = (secrets.token_hex(16) for _ in range(3))
    v.sync([[v.write(a, 1, item("A", username="ann", password="one"))]])
    Vault(v.store, v.cipher).put(item("A", username="ann2", password="one"), a)
    report = v.sync([[v.write(b, 1, item("B")), v.write(a, 2, item("A", username="ann", password="two")),
                      v.write(c, 1, item("C"))]])  # fmt: skip
    assert report.merged == 1 and report.conflicts == []
    values = v.values()
    assert values[a]["fields"] == {"username": "ann2", "password": "two"}
    assert {values[b]["title"], values[c]["title"]} == {"B", "C"}
    assert v.store.outbox() == [a]  # the merge waits to be pushed (this storage refuses it)
    # Reopened: everything the page kept back reached the file.
    v.store.close()
    v.store = VaultStore.open(tmp_path / "vault.db")
    assert v.values() == values


def test_a_sealed_deletion_in_a_page_removes_a_clean_item(tmp_path: Path) -> None:
    v = Vaultish(tmp_path)
    a, b = secrets.token_hex(16), secrets.token_hex(16)
    v.sync([[v.write(a, 1, item("A")), v.write(b, 1, item("B"))]])
    v.sync([[v.write(a, 2, None), v.write(b, 2, item("B2"))]])
    assert v.store.row(a) is None and v.store.seen_all()[a][0] == 2
    assert [d["title"] for d in v.values().values()] == ["B2"]


def test_the_local_envelope_holds_the_writers_bytes_and_the_cache_its_value(tmp_path: Path) -> None:
    v = Vaultish(tmp_path)
    ids = [secrets.token_hex(16) for _ in range(5)]
    opened: dict[tuple[str, bytes], dict[str, Any]] = {}
    v.sync([[v.write(i, 1, item(f"T{n}", password=f"p{n}")) for n, i in enumerate(ids[:3])],
            [v.write(i, 1, item(f"T{n}")) for n, i in enumerate(ids[3:], 3)]], opened)  # fmt: skip
    assert len(opened) == 5
    for item_id, envelope in v.store.live_items():
        plain = v.cipher._key.open(envelope, v.cipher._ad(bytes.fromhex(item_id)))
        assert plain == canonical_json(opened[(item_id, envelope)])
    # A listing through the cache is what a listing that opens every envelope gives.
    cached = {s.item_id: s.data for s in Vault(v.store, v.cipher, opened).all()}
    assert cached == v.values()


class FailsAt(Pages):
    """Pages that fail (as a network would) when page ``at`` is asked for."""

    def __init__(self, pages: list[list[Record]], at: int) -> None:
        super().__init__(pages)
        self.at = at

    def pull(self, cursor: str, limit: int) -> Page:
        if self.n == self.at:
            raise ConnectionError("storage went away")
        return super().pull(cursor, limit)


def test_pages_fetched_before_a_failure_are_taken_and_the_failure_is_raised(tmp_path: Path) -> None:
    v = Vaultish(tmp_path)
    ids = [secrets.token_hex(16) for _ in range(4)]
    pages = [[v.write(i, 1, item(f"T{n}"))] for n, i in enumerate(ids)]
    with pytest.raises(ConnectionError):
        SyncEngine(v.store, FailsAt(pages, 2), v.vk).sync()
    assert sorted(v.values()) == sorted(ids[:2])
    assert v.store.sync_cursor == ".0.1"  # after the second page, where the next pull starts
    # The next sync goes on from there and takes the rest.
    again = SyncEngine(v.store, FailsAt(pages, -1), v.vk)
    again.transport.n = 2  # type: ignore[attr-defined]
    again.sync()
    assert sorted(v.values()) == sorted(ids)


def test_many_pages_are_taken_a_few_transactions_at_a_time(tmp_path: Path, monkeypatch: Any) -> None:
    v = Vaultish(tmp_path)
    monkeypatch.setattr("safehold.client.sync.PULL_COMMIT", 3)
    statements: list[str] = []
    v.store._db.set_trace_callback(statements.append)
    ids = [secrets.token_hex(16) for _ in range(7)]
    progress: list[tuple[int, int | None]] = []
    pages = Pages([[v.write(i, 1, item(f"T{n}"))] for n, i in enumerate(ids)])
    SyncEngine(v.store, pages, v.vk).sync(progress=lambda _, done, total: progress.append((done, total)))
    assert sorted(v.values()) == sorted(ids)
    # Seven one-record pages in transactions of three records: the cursor is written three
    # times (after pages 3, 6 and 7), and progress is told after every page.
    cursors = [s for s in statements if "INTO meta" in s and "'cursor'" in s]
    assert [c.split("'")[-2] for c in cursors] == [".0.1.2", ".0.1.2.3.4.5", ".0.1.2.3.4.5.6"]
    assert [p for p in progress] == [(n, None) for n in range(1, 7)] + [(7, 7)]


def test_a_sync_with_nothing_new_reads_no_item_entries(tmp_path: Path) -> None:
    """What an empty sync costs does not grow with the vault: it reads neither every
    item's seen entry nor every row (a pull from the start does, to find withheld items)."""
    v = Vaultish(tmp_path)
    storage = MemoryStorage()
    for n in range(20):
        record = v.write(secrets.token_hex(16), 1, item(f"T{n}"))
        storage.seq += 1
        storage.items[record.item_id] = (storage.seq, record)
    SyncEngine(v.store, MemoryTransport(storage), v.vk).sync()
    assert len(v.values()) == 20
    statements: list[str] = []
    v.store._db.set_trace_callback(statements.append)
    report = SyncEngine(v.store, MemoryTransport(storage), v.vk).sync()
    assert report.pulled == 0
    whole = [s for s in statements if ("FROM seen" in s or "FROM items" in s) and "WHERE" not in s]
    assert whole == []
