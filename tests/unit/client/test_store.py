"""The local vault file: acknowledged edits survive, the outbox keeps order, files are private."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from safehold.client.store import ConflictRecord, VaultStore

META = {
    "server": "http://x",
    "email": "a@b.c",
    "account_id": "00" * 16,
    "generation": "1",
    "kdf_salt": "AAAA",
    "kdf_params": '{"t":1,"m_kib":8,"p":1}',
    "keyset": "AAAA",
    "device_id": "11" * 16,
}


def test_an_acknowledged_edit_survives_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    VaultStore.create(path, META).close()
    # A child process saves an edit and dies without closing anything.
    code = (
        "import os, sys\n"
        "from pathlib import Path\n"
        "from safehold.client.store import VaultStore\n"
        f"s = VaultStore.open(Path({str(path)!r}))\n"
        "s.save_local('aa' * 16, b'sealed-1')\n"
        "s.save_local('bb' * 16, b'sealed-2')\n"
        "os._exit(0)\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    store = VaultStore.open(path)
    assert dict(store.live_items()) == {"aa" * 16: b"sealed-1", "bb" * 16: b"sealed-2"}
    assert store.outbox() == ["aa" * 16, "bb" * 16]


def test_outbox_keeps_first_edit_order_and_coalesces(tmp_path: Path) -> None:
    store = VaultStore.create(tmp_path / "v.db", META)
    ids = [f"{i:02x}" * 16 for i in (3, 1, 2)]
    for item_id in ids:
        store.save_local(item_id, b"v1")
    store.save_local(ids[0], b"v2")
    assert store.outbox() == ids
    assert store.row(ids[0]) is not None and store.row(ids[0]).local == b"v2"  # type: ignore[union-attr]


def test_deleting_an_unpushed_item_forgets_it(tmp_path: Path) -> None:
    store = VaultStore.create(tmp_path / "v.db", META)
    store.save_local("aa" * 16, b"v1")
    store.save_local("aa" * 16, None)
    assert store.row("aa" * 16) is None and store.outbox() == []


def test_deleting_a_synced_item_queues_a_tombstone(tmp_path: Path) -> None:
    store = VaultStore.create(tmp_path / "v.db", META)
    store.set_server_state("aa" * 16, 3, b"v3", local=b"v3", dirty=False)
    store.save_local("aa" * 16, None)
    row = store.row("aa" * 16)
    assert row is not None and row.local is None and row.revision == 3 and row.dirty
    assert store.live_items() == []


def test_transaction_rolls_back_on_error(tmp_path: Path) -> None:
    store = VaultStore.create(tmp_path / "v.db", META)
    try:
        with store.transaction():
            store.save_local("aa" * 16, b"v1")
            raise RuntimeError("boom")
    except RuntimeError:
        pass
    assert store.row("aa" * 16) is None and store.outbox() == []


def test_files_are_private_and_meta_roundtrips(tmp_path: Path) -> None:
    store = VaultStore.create(tmp_path / "p" / "v.db", META)
    store.save_local("aa" * 16, b"v1")
    assert os.stat(store.path).st_mode & 0o077 == 0
    assert store.generation == 1 and store.kdf_params.m_kib == 8 and store.cursor == 0
    store.cursor = 42
    store.add_conflict(ConflictRecord("bb" * 16, "aa" * 16, "t (conflict copy)", "2024"))
    store.close()
    again = VaultStore.open(tmp_path / "p" / "v.db")
    assert again.cursor == 42
    assert [c.copy_id for c in again.conflicts()] == ["aa" * 16]


def test_an_item_in_step_with_storage_is_kept_once_and_an_edit_keeps_its_base(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    store = VaultStore.create(path, META)
    store.set_server_state("aa" * 16, 3, b"sealed-3", local=b"sealed-3", dirty=False)
    store.set_clean_states([("bb" * 16, 1, b"sealed-b")])
    for item_id, env, rev in (("aa" * 16, b"sealed-3", 3), ("bb" * 16, b"sealed-b", 1)):
        row = store.row(item_id)
        assert row is not None and (row.local, row.base, row.revision, row.dirty) == (env, env, rev, False)
    raw = (
        sqlite3.connect(path)
        .execute("SELECT local, base FROM items WHERE item_id = ?", ("aa" * 16,))
        .fetchone()
    )
    assert raw == (b"sealed-3", b"")  # one copy in the file
    # An edit here replaces local; the base is still what storage holds.
    store.save_local("aa" * 16, b"edited")
    store.save_local_many([("bb" * 16, b"edited-b")])
    assert store.row("aa" * 16) == ("aa" * 16, b"edited", b"sealed-3", 3, True)
    assert store.row("bb" * 16) == ("bb" * 16, b"edited-b", b"sealed-b", 1, True)
    assert store.rows_for(["bb" * 16])["bb" * 16].base == b"sealed-b"
    # Storage's state differing from what the device holds keeps both.
    store.set_server_state("aa" * 16, 4, b"sealed-4", local=b"merged", dirty=True)
    assert store.row("aa" * 16) == ("aa" * 16, b"merged", b"sealed-4", 4, True)


def test_a_schema_2_file_is_read_as_it_is_and_marked_schema_3(tmp_path: Path) -> None:
    path = tmp_path / "v.db"
    VaultStore.create(path, META).close()
    db = sqlite3.connect(path)
    with db:  # what the schema 2 client wrote: both envelopes in every row
        db.execute("UPDATE meta SET value = '2' WHERE key = 'schema'")
        db.execute("INSERT INTO items(item_id, local, base, revision) VALUES (?, ?, ?, 2)",
                   ("cc" * 16, b"sealed-c", b"sealed-c"))  # fmt: skip
    db.close()
    store = VaultStore.open(path)
    assert store.meta("schema") == "3"
    assert store.row("cc" * 16) == ("cc" * 16, b"sealed-c", b"sealed-c", 2, False)
