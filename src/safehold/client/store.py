"""The local vault: one SQLite file per account and device, in the profile directory.

It holds what the device needs to work offline: the server URL (or the vault folder), email, ``account_id``,
``generation``, the cached Argon2id parameters and ``kdf_salt``, the wrapped keyset, each
item's envelope as edited here (``local``) and as last seen on the server (``base``, the
common ancestor for merging) with its server ``revision``, the sync cursor, the outbox of
items with edits not yet pushed, and the conflict copies in the vault (ids and times only).

Schema 2 (spec/protocol.md §11.4–§11.6) adds what the sync engine checks storage against:
``seen`` (per item, the highest revision opened and which write it was), ``writers`` (per
writing device, the highest sequence number opened and the gaps below it), ``claims`` (what
a write's ``prev`` says a missing write was), ``quarantine`` (records that did not open),
``pending`` (this device's sealed writes not yet acknowledged, re-sent as they are) and, in
``meta``, this device's write ``seq`` and ``last_write``. Schema 3 keeps an item that is in
step with storage once: its ``base`` is an empty blob, read as "the same as ``local``". A
schema 1 or 2 file is upgraded in place when opened.

Items and the session token are stored sealed, so nothing secret is readable without the
password and the account key. The email, server URL and account hint are plain: a locked
device must show them. Every write is committed (WAL, ``synchronous=FULL``) before the
method returns, so an edit the CLI calls "saved" survives a crash.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from safehold.crypto import KdfParams

from .errors import VaultDamaged

SCHEMA_VERSION = 3
#: Schema 3: ``items.base`` holds this (an empty blob, never an envelope) when it is the same
#: envelope as ``local``: an item in step with storage, the usual case, is kept once rather
#: than twice (half the file, and half the bytes a pull writes).
SAME_AS_LOCAL = b""

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_id  TEXT PRIMARY KEY,
    local    BLOB,              -- NULL: deleted on this device, not yet pushed
    base     BLOB,              -- NULL: unknown to the server (revision 0) or a tombstone;
                                --   x'': the same envelope as local (schema 3)
    revision INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS outbox (
    pos     INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL UNIQUE
);
CREATE TABLE IF NOT EXISTS conflicts (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    copy_id TEXT NOT NULL,
    title   TEXT NOT NULL,
    created TEXT NOT NULL
);
"""

#: Schema 2: the vault log's bookkeeping (spec/protocol.md §11.4–§11.6).
_SCHEMA_V2 = """
CREATE TABLE IF NOT EXISTS seen (
    item_id  TEXT PRIMARY KEY,
    revision INTEGER NOT NULL,
    device   TEXT NOT NULL,     -- '' for a version 1 record
    seq      INTEGER NOT NULL   -- 0 for a version 1 record
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS writers (
    device  TEXT PRIMARY KEY,
    max_seq INTEGER NOT NULL,
    gaps    TEXT NOT NULL DEFAULT '[]'   -- JSON [[lo, hi], ...]: numbers not opened yet
);
CREATE TABLE IF NOT EXISTS claims (
    device   TEXT NOT NULL,
    seq      INTEGER NOT NULL,
    item_id  TEXT NOT NULL,
    revision INTEGER NOT NULL,
    syncs    INTEGER NOT NULL DEFAULT 0,  -- complete pulls it stayed unexplained
    PRIMARY KEY (device, seq)
);
CREATE TABLE IF NOT EXISTS quarantine (
    item_id    TEXT NOT NULL,
    revision   INTEGER NOT NULL,
    device     TEXT NOT NULL,
    seq        INTEGER NOT NULL,
    envelope   BLOB NOT NULL,
    first_seen TEXT NOT NULL,
    tries      INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (item_id, revision, device, seq)
);
CREATE TABLE IF NOT EXISTS pending (
    item_id       TEXT PRIMARY KEY,
    base_revision INTEGER NOT NULL,
    seq           INTEGER NOT NULL,
    deleted       INTEGER NOT NULL,
    envelope      BLOB NOT NULL,   -- the sealed v2 write, re-sent as it is
    source        BLOB,            -- the local envelope it was sealed from (NULL: a deletion)
    prev          TEXT             -- the write's prev (what this device wrote just before)
);
"""

#: Meta keys written at creation; the rest appear as the account is used.
META_KEYS = (
    "server", "email", "account_id", "generation", "kdf_salt", "kdf_params", "keyset",
    "device_id", "device_name", "hint", "session", "cursor",
)  # fmt: skip


class ItemRow(NamedTuple):
    """One item as the vault file holds it. (A named tuple: a pull makes one per record.)"""

    item_id: str
    local: bytes | None
    base: bytes | None
    revision: int
    dirty: bool


@dataclass(frozen=True, slots=True)
class PendingWrite:
    """A write this device sealed and has not seen acknowledged: re-sent as it is."""

    item_id: str
    base_revision: int
    seq: int
    deleted: bool
    envelope: bytes
    #: The local envelope it was sealed from (``None``: a deletion).
    source: bytes | None
    prev: str | None


def _pending(row: tuple[Any, ...]) -> PendingWrite:
    item_id, base, seq, deleted, envelope, source, prev = row
    return PendingWrite(
        str(item_id),
        int(base),
        int(seq),
        bool(deleted),
        bytes(envelope),
        None if source is None else bytes(source),
        None if prev is None else str(prev),
    )


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    item_id: str
    copy_id: str
    title: str
    created: str


#: Schema 3: the items whose latest record is version 1, found without reading every row.
_SEEN_V1_INDEX = "CREATE INDEX IF NOT EXISTS seen_v1 ON seen(item_id) WHERE device = ''"

#: An edit replaces ``local``: a ``base`` that was "the same as local" becomes the old
#: ``local`` itself (SQLite's SET reads the row as it was before the update).
_SAVE_LOCAL = (
    "INSERT INTO items(item_id, local) VALUES (?, ?) ON CONFLICT(item_id) DO UPDATE SET "
    "local = excluded.local, base = CASE WHEN base = x'' THEN local ELSE base END"
)


class VaultStore:
    """One open vault file. Not thread-safe; one command uses one store."""

    def __init__(self, path: Path, connection: sqlite3.Connection) -> None:
        self.path = path
        self._db = connection
        self._depth = 0

    # --- opening ------------------------------------------------------------------------

    @classmethod
    def _connect(cls, path: Path) -> sqlite3.Connection:
        db = sqlite3.connect(path, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=FULL")
        db.execute("PRAGMA busy_timeout=10000")
        return db

    @classmethod
    def create(cls, path: Path, meta: dict[str, str]) -> VaultStore:
        """A new vault file (replacing any old one) holding ``meta``."""
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        remove_vault_files(path)
        # The file, its WAL and its shared-memory file are created 0600.
        old_umask = os.umask(0o077)
        try:
            db = cls._connect(path)
            db.executescript(_SCHEMA)
            db.executescript(_SCHEMA_V2)
            db.execute(_SEEN_V1_INDEX)
        finally:
            os.umask(old_umask)
        store = cls(path, db)
        with store.transaction():
            store._set_meta("schema", str(SCHEMA_VERSION))
            store._set_meta("cursor", "0")
            for key, value in meta.items():
                store._set_meta(key, value)
        return store

    @classmethod
    def open(cls, path: Path) -> VaultStore:
        if not path.exists():
            raise FileNotFoundError(path)
        old_umask = os.umask(0o077)
        try:
            db = cls._connect(path)
        finally:
            os.umask(old_umask)
        store = cls(path, db)
        # Not a vault (or a damaged one): the caller's first read reports it.
        with contextlib.suppress(sqlite3.DatabaseError):
            store._upgrade()
        return store

    def _upgrade(self) -> None:
        """Bring a schema 1 or 2 file to schema 3. From 1 (spec §11.6): every item the
        device holds is taken as seen at its revision, written by a version 1 device (``''``,
        seq 0), so a later record can neither roll it back nor go unnoticed. From 2: nothing
        to change (its rows keep both envelopes, which schema 3 reads as they are)."""
        found = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if found is None or str(found[0]) not in ("1", "2"):
            return
        with self.transaction():
            again = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
            if again is None or str(again[0]) not in ("1", "2"):
                return  # another process upgraded it meanwhile
            if str(again[0]) == "1":
                for statement in _SCHEMA_V2.split(";"):
                    if statement.strip():
                        self._db.execute(statement)
                self._db.execute(
                    "INSERT OR IGNORE INTO seen(item_id, revision, device, seq) "
                    "SELECT item_id, revision, '', 0 FROM items WHERE revision > 0"
                )
            self._db.execute(_SEEN_V1_INDEX)
            self._set_meta("schema", str(SCHEMA_VERSION))

    def close(self) -> None:
        self._db.close()
        self.closed = True

    #: Set by :meth:`close`; a closed store (a command that signed out) is left alone.
    closed = False

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Group writes; nested uses join the outer one. Committed on leaving."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._db.execute("BEGIN IMMEDIATE")
        self._depth = 1
        try:
            yield
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        else:
            self._db.execute("COMMIT")
        finally:
            self._depth = 0

    # --- meta ---------------------------------------------------------------------------

    def _set_meta(self, key: str, value: str) -> None:
        self._db.execute("INSERT OR REPLACE INTO meta(key, value) VALUES (?, ?)", (key, value))

    def set_meta(self, **values: str | None) -> None:
        with self.transaction():
            for key, value in values.items():
                if value is None:
                    self._db.execute("DELETE FROM meta WHERE key = ?", (key,))
                else:
                    self._set_meta(key, value)

    def meta(self, key: str) -> str | None:
        row = self._db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def require(self, key: str) -> str:
        value = self.meta(key)
        if value is None:
            raise VaultDamaged(f"it lacks the setting {key!r}")
        return value

    @property
    def account_id(self) -> str:
        return self.require("account_id")

    @property
    def email(self) -> str:
        return self.require("email")

    @property
    def server(self) -> str:
        return self.require("server")

    @property
    def generation(self) -> int:
        raw = self.require("generation")
        try:
            return int(raw)
        except ValueError:
            raise VaultDamaged(f"its generation {raw!r} is not a number") from None

    @property
    def device_id(self) -> str:
        return self.require("device_id")

    @property
    def device_name(self) -> str:
        return self.meta("device_name") or "this device"

    @property
    def kdf_params(self) -> KdfParams:
        try:
            raw = json.loads(self.require("kdf_params"))
            return KdfParams(t=int(raw["t"]), m_kib=int(raw["m_kib"]), p=int(raw["p"]))
        except (ValueError, KeyError, TypeError):
            raise VaultDamaged("its cached Argon2id parameters (kdf_params) are unreadable") from None

    @property
    def cursor(self) -> int:
        """The server's cursor as a number (0 for a cursor that is not one, e.g. a folder's)."""
        raw = self.sync_cursor
        return int(raw) if raw.isdigit() else 0

    @cursor.setter
    def cursor(self, value: int) -> None:
        self.sync_cursor = str(value)

    @property
    def sync_cursor(self) -> str:
        """The transport's opaque cursor (``""``: from the start). A schema 1 vault kept the
        server's number under the same key, which the server transport reads as it is."""
        raw = self.meta("cursor") or ""
        return "" if raw == "0" else raw

    @sync_cursor.setter
    def sync_cursor(self, value: str) -> None:
        self.set_meta(cursor=value or "0")

    @property
    def folder(self) -> str | None:
        """The vault folder, for a vault kept in a folder rather than on a server."""
        return self.meta("folder")

    # --- items --------------------------------------------------------------------------

    def _row(self, values: tuple[str, bytes | None, bytes | None, int, int | None]) -> ItemRow:
        item_id, local, base, revision, pos = values
        return ItemRow(item_id, local, local if base == SAME_AS_LOCAL else base, revision, pos is not None)

    _SELECT = (
        "SELECT i.item_id, i.local, i.base, i.revision, o.pos FROM items i "
        "LEFT JOIN outbox o ON o.item_id = i.item_id"
    )

    def row(self, item_id: str) -> ItemRow | None:
        found = self._db.execute(self._SELECT + " WHERE i.item_id = ?", (item_id,)).fetchone()
        return None if found is None else self._row(found)

    def _select_in(self, select: str, column: str, item_ids: list[str]) -> Iterator[Any]:
        """The rows ``select`` gives where ``column`` is one of ``item_ids``: one query per
        500 ids (well inside SQLite's parameter limit) instead of one per item."""
        for start in range(0, len(item_ids), 500):
            chunk = item_ids[start : start + 500]
            marks = ",".join("?" * len(chunk))
            yield from self._db.execute(f"{select} WHERE {column} IN ({marks})", chunk)

    def rows_for(self, item_ids: list[str]) -> dict[str, ItemRow]:
        """The rows of ``item_ids`` that exist, by id."""
        rows = (self._row(values) for values in self._select_in(self._SELECT, "i.item_id", item_ids))
        return {row.item_id: row for row in rows}

    def rows(self) -> list[ItemRow]:
        return [self._row(r) for r in self._db.execute(self._SELECT + " ORDER BY i.item_id")]

    def live_items(self) -> list[tuple[str, bytes]]:
        """Every item as this device sees it now (local edits included, deletions excluded)."""
        return list(self._db.execute("SELECT item_id, local FROM items WHERE local IS NOT NULL"))

    def save_local(self, item_id: str, envelope: bytes | None) -> None:
        """Record an edit made on this device (``None`` deletes) and queue it for push."""
        with self.transaction():
            row = self.row(item_id)
            if envelope is None and (row is None or (row.revision == 0 and row.base is None)):
                # Never reached the server: forgetting it loses nothing anyone else saw.
                self._db.execute("DELETE FROM items WHERE item_id = ?", (item_id,))
                self._db.execute("DELETE FROM outbox WHERE item_id = ?", (item_id,))
                return
            self._db.execute(
                _SAVE_LOCAL,
                (item_id, envelope),
            )
            self._db.execute("INSERT OR IGNORE INTO outbox(item_id) VALUES (?)", (item_id,))

    def save_local_many(self, rows: list[tuple[str, bytes]]) -> None:
        """:meth:`save_local` for many edits (none a deletion) in one transaction: a bulk
        import is one statement per table instead of three per item."""
        with self.transaction():
            self._db.executemany(
                _SAVE_LOCAL,
                rows,
            )
            self._db.executemany(
                "INSERT OR IGNORE INTO outbox(item_id) VALUES (?)", [(item_id,) for item_id, _ in rows]
            )

    def drop_conflicts(self, copy_ids: list[str]) -> None:
        with self.transaction():
            self._db.executemany("DELETE FROM conflicts WHERE copy_id = ?", [(c,) for c in copy_ids])

    def set_server_state(
        self, item_id: str, revision: int, envelope: bytes | None, *, local: bytes | None, dirty: bool
    ) -> None:
        """Record the server's state of an item and what this device now holds for it.

        ``dirty`` keeps (or puts) the item in the outbox; a clean item that the server
        deleted is forgotten.
        """
        with self.transaction():
            if not dirty and local is None:
                self._db.execute("DELETE FROM items WHERE item_id = ?", (item_id,))
                self._db.execute("DELETE FROM outbox WHERE item_id = ?", (item_id,))
                return
            base = SAME_AS_LOCAL if local is not None and local == envelope else envelope
            self._db.execute(
                "INSERT INTO items(item_id, local, base, revision) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(item_id) DO UPDATE SET local = excluded.local, base = excluded.base, "
                "revision = excluded.revision",
                (item_id, local, base, revision),
            )
            if dirty:
                self._db.execute("INSERT OR IGNORE INTO outbox(item_id) VALUES (?)", (item_id,))
            else:
                self._db.execute("DELETE FROM outbox WHERE item_id = ?", (item_id,))

    def set_clean_states(self, states: list[tuple[str, int, bytes | None]]) -> None:
        """:meth:`set_server_state` with ``local=envelope, dirty=False`` for many items that
        are not waiting to be pushed, in one statement per table: ``(item_id, revision,
        envelope)``; ``None`` forgets the item."""
        live = [(i, env, SAME_AS_LOCAL, rev) for i, rev, env in states if env is not None]
        gone = [(i,) for i, _, env in states if env is None]
        with self.transaction():
            self._db.executemany(
                "INSERT INTO items(item_id, local, base, revision) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(item_id) DO UPDATE SET local = excluded.local, base = excluded.base, "
                "revision = excluded.revision",
                live,
            )
            if gone:
                self._db.executemany("DELETE FROM items WHERE item_id = ?", gone)

    def outbox(self) -> list[str]:
        """Item ids with unpushed edits, in the order they were first edited."""
        return [r[0] for r in self._db.execute("SELECT item_id FROM outbox ORDER BY pos")]

    def item_count(self) -> int:
        return int(self._db.execute("SELECT count(*) FROM items WHERE local IS NOT NULL").fetchone()[0])

    # --- conflicts ----------------------------------------------------------------------

    # Conflict records keep no title: the file holds no item text in clear. ``status`` reads
    # the titles from the (sealed) copies when the vault is unlocked. The column stays, empty,
    # so files written by earlier versions open unchanged (and are scrubbed at the next sync).

    def add_conflict(self, record: ConflictRecord) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM conflicts WHERE copy_id = ?", (record.copy_id,))
            self._db.execute(
                "INSERT INTO conflicts(item_id, copy_id, title, created) VALUES (?, ?, '', ?)",
                (record.item_id, record.copy_id, record.created),
            )

    def note_conflict_copy(self, copy_id: str, data: dict[str, Any]) -> None:
        """Record ``copy_id`` as a conflict copy if its item carries the mark (``conflict_of``)
        and is not recorded yet: copies made on other devices then show in ``status`` here."""
        original = data.get("conflict_of")
        # A copy in the trash (items.trash, "trashed_at") is dealt with: no longer listed.
        if not isinstance(original, str) or data.get("trashed_at") is not None:
            self.drop_conflict(copy_id)
            return
        with self.transaction():
            known = self._db.execute("SELECT 1 FROM conflicts WHERE copy_id = ?", (copy_id,)).fetchone()
            if known is None:
                self._db.execute(
                    "INSERT INTO conflicts(item_id, copy_id, title, created) VALUES (?, ?, '', ?)",
                    (original, copy_id, str(data.get("conflict_at", ""))),
                )

    def scrub_conflict_titles(self) -> None:
        """Blank titles that earlier versions stored in clear."""
        if self._db.execute("SELECT 1 FROM conflicts WHERE title != '' LIMIT 1").fetchone():
            with self.transaction():
                self._db.execute("UPDATE conflicts SET title = '' WHERE title != ''")

    def conflict_copy_ids(self) -> set[str]:
        """Every recorded copy id, deleted copies included."""
        return {str(r[0]) for r in self._db.execute("SELECT copy_id FROM conflicts")}

    def drop_conflict(self, copy_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM conflicts WHERE copy_id = ?", (copy_id,))

    def conflicts(self) -> list[ConflictRecord]:
        """Conflict copies still in the vault (``title`` empty: it is inside the sealed copy)."""
        rows = self._db.execute(
            "SELECT c.item_id, c.copy_id, c.title, c.created FROM conflicts c "
            "JOIN items i ON i.item_id = c.copy_id AND i.local IS NOT NULL ORDER BY c.id"
        )
        return [ConflictRecord(*r) for r in rows]

    def mark_dirty(self, item_id: str) -> None:
        """Queue an item as it is for the next push (a version 1 record re-written as v2)."""
        with self.transaction():
            self._db.execute("INSERT OR IGNORE INTO outbox(item_id) VALUES (?)", (item_id,))

    # --- the vault log's bookkeeping (schema 2, spec §11.4) ------------------------------

    _SEEN = "SELECT item_id, revision, device, seq FROM seen"

    @staticmethod
    def _seen_entries(rows: Iterable[Any]) -> dict[str, tuple[int, str, int]]:
        return {str(r[0]): (int(r[1]), str(r[2]), int(r[3])) for r in rows}

    def seen_all(self) -> dict[str, tuple[int, str, int]]:
        """Per item: the revision last opened and the (device, seq) of that write."""
        return self._seen_entries(self._db.execute(self._SEEN))

    def seen_for(self, item_ids: list[str]) -> dict[str, tuple[int, str, int]]:
        """:meth:`seen_all` of ``item_ids`` (those with an entry)."""
        return self._seen_entries(self._select_in(self._SEEN, "item_id", item_ids))

    def seen(self, item_id: str) -> tuple[int, str, int] | None:
        """:meth:`seen_all` of one item."""
        return self.seen_for([item_id]).get(item_id)

    def v1_seen(self) -> list[str]:
        """Items whose latest record seen is version 1 (device ``''``), through an index
        of those alone (spec §11.6: they are re-written as version 2, then leave it)."""
        return [
            str(r[0]) for r in self._db.execute("SELECT item_id FROM seen WHERE device = '' ORDER BY item_id")
        ]

    def set_seen(self, item_id: str, revision: int, device: str, seq: int) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO seen(item_id, revision, device, seq) VALUES (?, ?, ?, ?)",
                (item_id, revision, device, seq),
            )

    def set_seen_many(self, seen: list[tuple[str, int, str, int]]) -> None:
        """:meth:`set_seen` for many items: ``(item_id, revision, device, seq)``."""
        with self.transaction():
            self._db.executemany(
                "INSERT OR REPLACE INTO seen(item_id, revision, device, seq) VALUES (?, ?, ?, ?)", seen
            )

    def writers(self) -> dict[str, tuple[int, list[list[int]]]]:
        """Per writing device: the highest seq opened and the ranges below it not opened."""
        out: dict[str, tuple[int, list[list[int]]]] = {}
        for device, max_seq, gaps in self._db.execute("SELECT device, max_seq, gaps FROM writers"):
            try:
                ranges = [[int(lo), int(hi)] for lo, hi in json.loads(gaps)]
            except (ValueError, TypeError):
                raise VaultDamaged(f"its record of device {device}'s writes is unreadable") from None
            out[str(device)] = (int(max_seq), ranges)
        return out

    def set_writer(self, device: str, max_seq: int, gaps: list[list[int]]) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO writers(device, max_seq, gaps) VALUES (?, ?, ?)",
                (device, max_seq, json.dumps(gaps, separators=(",", ":"))),
            )

    def claims(self) -> list[tuple[str, int, str, int, int]]:
        """``(device, seq, item_id, revision, syncs)``: what the write after each gap says
        the missing write was, and for how many complete pulls it stayed unexplained."""
        rows = self._db.execute(
            "SELECT device, seq, item_id, revision, syncs FROM claims ORDER BY device, seq"
        )
        return [(str(a), int(b), str(c), int(d), int(e)) for a, b, c, d, e in rows]

    def add_claim(self, device: str, seq: int, item_id: str, revision: int) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR IGNORE INTO claims(device, seq, item_id, revision) VALUES (?, ?, ?, ?)",
                (device, seq, item_id, revision),
            )

    def drop_claim(self, device: str, seq: int) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM claims WHERE device = ? AND seq = ?", (device, seq))

    def count_claim(self, device: str, seq: int) -> int:
        """One more complete pull left the claim unexplained; the new count."""
        with self.transaction():
            self._db.execute(
                "UPDATE claims SET syncs = syncs + 1 WHERE device = ? AND seq = ?", (device, seq)
            )
            row = self._db.execute(
                "SELECT syncs FROM claims WHERE device = ? AND seq = ?", (device, seq)
            ).fetchone()
        return 0 if row is None else int(row[0])

    def quarantine(
        self, item_id: str, revision: int, device: str, seq: int, envelope: bytes, when: str
    ) -> None:
        """Keep a record that did not open (spec §11.5); a second sight counts a try."""
        with self.transaction():
            self._db.execute(
                "INSERT INTO quarantine(item_id, revision, device, seq, envelope, first_seen) "
                "VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(item_id, revision, device, seq) "
                "DO UPDATE SET envelope = excluded.envelope, tries = tries + 1",
                (item_id, revision, device, seq, envelope, when),
            )

    def quarantined(self) -> list[tuple[str, int, str, int, bytes, str, int]]:
        """``(item_id, revision, device, seq, envelope, first_seen, tries)``, oldest first."""
        rows = self._db.execute(
            "SELECT item_id, revision, device, seq, envelope, first_seen, tries FROM quarantine "
            "ORDER BY first_seen, item_id"
        )
        return [(str(a), int(b), str(c), int(d), bytes(e), str(f), int(g)) for a, b, c, d, e, f, g in rows]

    def release(self, item_id: str, upto: int) -> None:
        """A record of ``item_id`` at ``upto`` opened: its quarantined records up to it go."""
        with self.transaction():
            self._db.execute("DELETE FROM quarantine WHERE item_id = ? AND revision <= ?", (item_id, upto))

    def pending(self, item_id: str) -> PendingWrite | None:
        """This device's sealed, unacknowledged write of ``item_id``."""
        row = self._db.execute(
            "SELECT item_id, base_revision, seq, deleted, envelope, source, prev "
            "FROM pending WHERE item_id = ?",
            (item_id,),
        ).fetchone()
        return None if row is None else _pending(row)

    def pending_ids(self) -> set[str]:
        return {str(r[0]) for r in self._db.execute("SELECT item_id FROM pending")}

    def set_pending(self, write: PendingWrite) -> None:
        with self.transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO pending"
                "(item_id, base_revision, seq, deleted, envelope, source, prev) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                (write.item_id, write.base_revision, write.seq, int(write.deleted), write.envelope,
                 write.source, write.prev),
            )  # fmt: skip

    def drop_pending(self, item_id: str) -> None:
        with self.transaction():
            self._db.execute("DELETE FROM pending WHERE item_id = ?", (item_id,))

    @property
    def write_seq(self) -> int:
        """The sequence number of this device's last sealed write (0: none yet)."""
        raw = self.meta("seq") or "0"
        return int(raw) if raw.isdigit() else 0

    @property
    def last_write(self) -> str | None:
        """``prev`` for this device's next write: ``"<item>.<revision>"`` of its last one."""
        return self.meta("last_write") or None

    def next_write(self, item_id: str, revision: int) -> tuple[int, str | None]:
        """Number a new write of ``item_id`` at ``revision``: its seq and its prev."""
        with self.transaction():
            seq, prev = self.write_seq + 1, self.last_write
            self.set_meta(seq=str(seq), last_write=f"{item_id}.{revision}")
        return seq, prev


def remove_vault_files(path: Path) -> None:
    """Delete a vault file with its WAL and shared-memory companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
