"""The local vault: one SQLite file per account and device, in the profile directory.

It holds what the device needs to work offline: the server URL, email, ``account_id``,
``generation``, the cached Argon2id parameters and ``kdf_salt``, the wrapped keyset, each
item's envelope as edited here (``local``) and as last seen on the server (``base``, the
common ancestor for merging) with its server ``revision``, the sync cursor, the outbox of
items with edits not yet pushed, and the conflict copies in the vault (ids and times only).

Items and the session token are stored sealed, so nothing secret is readable without the
password and the account key. The email, server URL and account hint are plain: a locked
device must show them. Every write is committed (WAL, ``synchronous=FULL``) before the
method returns, so an edit the CLI calls "saved" survives a crash.
"""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from safehold.crypto import KdfParams

from .errors import VaultDamaged

SCHEMA_VERSION = 1

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS items (
    item_id  TEXT PRIMARY KEY,
    local    BLOB,              -- NULL: deleted on this device, not yet pushed
    base     BLOB,              -- NULL: unknown to the server (revision 0) or a tombstone
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

#: Meta keys written at creation; the rest appear as the account is used.
META_KEYS = (
    "server", "email", "account_id", "generation", "kdf_salt", "kdf_params", "keyset",
    "device_id", "device_name", "hint", "session", "cursor",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ItemRow:
    item_id: str
    local: bytes | None
    base: bytes | None
    revision: int
    dirty: bool


@dataclass(frozen=True, slots=True)
class ConflictRecord:
    item_id: str
    copy_id: str
    title: str
    created: str


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
        return cls(path, db)

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
        raw = self.meta("cursor") or 0
        try:
            return int(raw)
        except ValueError:
            raise VaultDamaged(f"its sync cursor {raw!r} is not a number") from None

    @cursor.setter
    def cursor(self, value: int) -> None:
        self.set_meta(cursor=str(value))

    # --- items --------------------------------------------------------------------------

    def _row(self, values: tuple[str, bytes | None, bytes | None, int, int | None]) -> ItemRow:
        item_id, local, base, revision, pos = values
        return ItemRow(item_id, local, base, revision, pos is not None)

    _SELECT = (
        "SELECT i.item_id, i.local, i.base, i.revision, o.pos FROM items i "
        "LEFT JOIN outbox o ON o.item_id = i.item_id"
    )

    def row(self, item_id: str) -> ItemRow | None:
        found = self._db.execute(self._SELECT + " WHERE i.item_id = ?", (item_id,)).fetchone()
        return None if found is None else self._row(found)

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
                "INSERT INTO items(item_id, local) VALUES (?, ?) "
                "ON CONFLICT(item_id) DO UPDATE SET local = excluded.local",
                (item_id, envelope),
            )
            self._db.execute("INSERT OR IGNORE INTO outbox(item_id) VALUES (?)", (item_id,))

    def save_local_many(self, rows: list[tuple[str, bytes]]) -> None:
        """:meth:`save_local` for many edits (none a deletion) in one transaction: a bulk
        import is one statement per table instead of three per item."""
        with self.transaction():
            self._db.executemany(
                "INSERT INTO items(item_id, local) VALUES (?, ?) "
                "ON CONFLICT(item_id) DO UPDATE SET local = excluded.local",
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
            self._db.execute(
                "INSERT INTO items(item_id, local, base, revision) VALUES (?, ?, ?, ?) "
                "ON CONFLICT(item_id) DO UPDATE SET local = excluded.local, base = excluded.base, "
                "revision = excluded.revision",
                (item_id, local, envelope, revision),
            )
            if dirty:
                self._db.execute("INSERT OR IGNORE INTO outbox(item_id) VALUES (?)", (item_id,))
            else:
                self._db.execute("DELETE FROM outbox WHERE item_id = ?", (item_id,))

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


def remove_vault_files(path: Path) -> None:
    """Delete a vault file with its WAL and shared-memory companions."""
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(str(path) + suffix).unlink(missing_ok=True)
