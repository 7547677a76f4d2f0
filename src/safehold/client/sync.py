"""The sync engine: pull the server's changes since the cursor, then push the outbox.

Pull asks for changes in pages. An item with no local edits takes the server's state. An
item with local edits is *resolved* against the server's state: the edit and the server's
version are merged field by field against the last server state this device saw (the
common base, see :mod:`safehold.client.merge`), and the merged item goes back in the outbox.

Push sends every item in the outbox, in the order it was first edited, with the revision
its edit was based on. A ``conflict`` answer carries the server's current state, which is
resolved the same way; the loop then pushes again.

Resolution never drops an edit: delete against edit keeps the edit (the item comes back,
and the report's ``restored`` list says so); edit against edit keeps both (the server's value
in place and the local version as a conflict copy). A conflict copy carries its own mark in
the item (``conflict_of``: the original's id, ``conflict_from``: the device, ``conflict_at``:
when), so every device that pulls it lists it in ``status`` until someone deletes it.

A push batch the server refuses as too large (413) is split until the one item at fault is
found; that item stays in the outbox and is reported in ``rejected``, and the rest is pushed.

A 410 from the server raises :class:`~safehold.client.errors.AccountWasReset` before anything
is uploaded; the caller wipes the local vault (account.py).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Protocol

from safehold import wire
from safehold.crypto import TamperedData, VaultCipher, b64decode, b64encode, new_item_id

from .errors import ClientError, ServerError, Tampered
from .merge import conflict_title, merge_items
from .store import ConflictRecord, ItemRow, VaultStore
from .vault import MAX_ENVELOPE_CHARS, envelope_chars

#: The API's maximum: a page of 1,000 ~1 KB items is about 1 MB, and each page costs a
#: round trip plus a session check, so a first sync of a large vault wants few of them.
PULL_PAGE = 1000
PUSH_BATCH = 500
#: Stays well under the server's default 16 MiB request limit, whatever the item sizes.
PUSH_BATCH_CHARS = 8 * MAX_ENVELOPE_CHARS
#: A push round resolves every conflict it meets, so more rounds mean other devices are
#: writing the same items at the same moment; give up politely rather than spin.
MAX_PUSH_ROUNDS = 8

#: ``progress(phase, done, total)``; ``total`` is ``None`` when unknown.
Progress = Callable[[str, int, int | None], None]


class SyncApi(Protocol):
    def changes(self, since: int, limit: int = ...) -> wire.ChangesResponse: ...

    def push(self, writes: list[wire.Write]) -> wire.PushResponse: ...


@dataclass(frozen=True, slots=True)
class ItemNote:
    """An item a sync has something to say about."""

    item_id: str
    title: str


@dataclass
class SyncReport:
    pulled: int = 0
    pushed: int = 0
    merged: int = 0
    conflicts: list[ConflictRecord] = field(default_factory=list)
    #: Items deleted on this device that came back because another device edited them.
    restored: list[ItemNote] = field(default_factory=list)
    #: Items the server refused as too large; they stay in the outbox.
    rejected: list[ItemNote] = field(default_factory=list)


def _server_envelope(change: wire.Change) -> bytes | None:
    """The envelope bytes of a server state, ``None`` for a tombstone. Text that is not
    canonical base64url (spec §1) was altered on the way, like a failed tag."""
    if change.deleted or change.envelope is None:
        return None
    try:
        return b64decode(change.envelope)
    except ValueError:
        raise Tampered(f"item {change.item_id} arrived damaged: not valid base64url") from None


def _utcnow() -> datetime:
    return datetime.now(UTC)


class SyncEngine:
    def __init__(
        self,
        store: VaultStore,
        cipher: VaultCipher,
        api: SyncApi,
        *,
        device_name: str,
        now: Callable[[], datetime] = _utcnow,
        progress: Progress | None = None,
    ) -> None:
        self.store = store
        self.cipher = cipher
        self.api = api
        self.device_name = device_name
        self.now = now
        self.progress = progress
        self.report = SyncReport()
        #: Ids of the recorded conflict copies, so unmarked items cost no table write.
        self._copy_ids: set[str] = set()

    # --- items ------------------------------------------------------------------------

    def _open(self, item_id: str, envelope: bytes | None) -> dict[str, Any] | None:
        if envelope is None:
            return None
        try:
            value = self.cipher.open_item(bytes.fromhex(item_id), envelope)
        except TamperedData:
            raise Tampered(
                f"item {item_id} failed to decrypt: it was altered or sealed with other keys"
            ) from None
        if not isinstance(value, dict):
            raise Tampered(f"item {item_id} is not an item")
        return value

    def _seal(self, item_id: str, value: dict[str, Any]) -> bytes:
        return self.cipher.seal_item(bytes.fromhex(item_id), value)

    # --- the whole run ----------------------------------------------------------------

    def run(self) -> SyncReport:
        self.store.scrub_conflict_titles()
        self._copy_ids = self.store.conflict_copy_ids()
        self.pull()
        self.push()
        return self.report

    def pull(self) -> None:
        since = self.store.cursor
        done = 0
        while True:
            page = self.api.changes(since, PULL_PAGE)
            with self.store.transaction():
                for change in page.changes:
                    self._apply(change)
                self.store.cursor = page.cursor
            done += len(page.changes)
            self.report.pulled += len(page.changes)
            if self.progress:
                self.progress("pull", done, None if page.has_more else done)
            if not page.has_more or page.cursor <= since:
                break
            since = page.cursor

    def _apply(self, change: wire.Change) -> None:
        row = self.store.row(change.item_id)
        if row is not None and row.revision >= change.revision:
            return  # our own write coming back, or older than what we hold
        envelope = _server_envelope(change)
        if row is None or not row.dirty:
            self.store.set_server_state(
                change.item_id, change.revision, envelope, local=envelope, dirty=False
            )
            self._index_conflict_mark(change.item_id, envelope)
        else:
            self._resolve(row, change.revision, envelope)

    def _index_conflict_mark(self, item_id: str, envelope: bytes | None) -> None:
        """Keep the local list of conflict copies in step with the marks in the items.

        Every pulled item is opened for this (about 40 µs each), since the mark is inside the
        sealed item; the table is only written when a record appears or goes."""
        value = self._open(item_id, envelope)
        if value is not None and "conflict_of" in value:
            self.store.note_conflict_copy(item_id, value)
            self._copy_ids.add(item_id)
        elif item_id in self._copy_ids:
            self.store.drop_conflict(item_id)
            self._copy_ids.discard(item_id)

    def _resolve(self, row: ItemRow, revision: int, remote_env: bytes | None) -> None:
        """The server moved on while this device edited ``row``: combine the two."""
        item_id = row.item_id
        if row.local is None:
            # Deleted here: an edit there wins (and the person is told); a deletion agrees.
            self.store.set_server_state(item_id, revision, remote_env, local=remote_env, dirty=False)
            if remote_env is not None:
                restored = self._open(item_id, remote_env)
                assert restored is not None
                self.store.note_conflict_copy(item_id, restored)
                self.report.restored.append(ItemNote(item_id, str(restored.get("title", ""))))
            return
        if remote_env is None:
            # Deleted there, edited here: keep the edit, pushed over the tombstone.
            self.store.set_server_state(item_id, revision, None, local=row.local, dirty=True)
            return
        base = self._open(item_id, row.base)
        local = self._open(item_id, row.local)
        remote = self._open(item_id, remote_env)
        assert local is not None and remote is not None
        result = merge_items(base, local, remote)
        self.report.merged += 1
        with self.store.transaction():
            if result.conflicts:
                self._keep_conflict_copy(item_id, local)
            self.store.note_conflict_copy(item_id, result.merged)
            if result.merged == remote:
                self.store.set_server_state(item_id, revision, remote_env, local=remote_env, dirty=False)
            else:
                merged_env = self._seal(item_id, result.merged)
                self.store.set_server_state(item_id, revision, remote_env, local=merged_env, dirty=True)

    def _keep_conflict_copy(self, item_id: str, local: dict[str, Any]) -> None:
        when = self.now().astimezone(UTC)
        title = conflict_title(str(local.get("title", "")), self.device_name, when.strftime("%Y-%m-%d %H:%M"))
        copy = dict(local)
        copy["title"] = title
        copy["conflict_of"] = item_id
        copy["conflict_from"] = self.device_name
        copy["conflict_at"] = when.isoformat()
        copy_id = new_item_id().hex()
        self.store.save_local(copy_id, self._seal(copy_id, copy))
        record = ConflictRecord(item_id=item_id, copy_id=copy_id, title=title, created=when.isoformat())
        self.store.add_conflict(record)
        self.report.conflicts.append(record)

    def _batches(self, rows: list[ItemRow]) -> list[list[ItemRow]]:
        """``rows`` in batches of at most :data:`PUSH_BATCH` items and :data:`PUSH_BATCH_CHARS`."""
        batches: list[list[ItemRow]] = []
        current: list[ItemRow] = []
        size = 0
        for row in rows:
            chars = envelope_chars(row.local) if row.local is not None else 0
            if current and (len(current) >= PUSH_BATCH or size + chars > PUSH_BATCH_CHARS):
                batches.append(current)
                current, size = [], 0
            current.append(row)
            size += chars
        if current:
            batches.append(current)
        return batches

    def push(self) -> None:
        total = len(self.store.outbox())
        done = 0
        refused: set[str] = set()
        for _ in range(MAX_PUSH_ROUNDS):
            pending = [i for i in self.store.outbox() if i not in refused]
            if not pending:
                break
            rows = [r for r in (self.store.row(i) for i in pending) if r]
            for batch in self._batches(rows):
                done += self._push_batch(batch, refused)
                if self.progress:
                    self.progress("push", done, max(total, done))
        if any(i not in refused for i in self.store.outbox()):
            raise ClientError(
                "other devices keep changing the same items; some edits are still waiting",
                hint="run `safehold sync` again",
            )

    def _push_batch(self, rows: list[ItemRow], refused: set[str]) -> int:
        """Push ``rows``; on 413 split the batch until the item at fault is isolated."""
        writes = [
            wire.Write(
                item_id=r.item_id,
                base_revision=r.revision,
                envelope=None if r.local is None else b64encode(r.local),
            )
            for r in rows
        ]
        try:
            answer = self.api.push(writes)
        except ServerError as exc:
            if exc.status != 413:
                raise
            if len(rows) > 1:
                half = len(rows) // 2
                return self._push_batch(rows[:half], refused) + self._push_batch(rows[half:], refused)
            self._reject(rows[0], refused)
            return 1
        by_id = {r.item_id: r for r in rows}
        with self.store.transaction():
            for result in answer.results:
                self._settle(by_id[result.item_id], result)
        return len(rows)

    def _reject(self, row: ItemRow, refused: set[str]) -> None:
        refused.add(row.item_id)
        title = ""
        if row.local is not None:
            value = self._open(row.item_id, row.local)
            title = str((value or {}).get("title", ""))
        self.report.rejected.append(ItemNote(row.item_id, title))

    def _settle(self, row: ItemRow, result: wire.WriteResult) -> None:
        if result.status is wire.WriteStatus.OK:
            self.report.pushed += 1
            revision = result.revision if result.revision is not None else row.revision + 1
            self.store.set_server_state(row.item_id, revision, row.local, local=row.local, dirty=False)
            return
        current = result.current
        if current is None:
            # The server has no state to compare with; try again as a creation.
            self.store.set_server_state(row.item_id, 0, None, local=row.local, dirty=True)
            return
        envelope = _server_envelope(current)
        if row.local is None and envelope is None:
            self.store.set_server_state(row.item_id, current.revision, None, local=None, dirty=False)
            return
        self._resolve(row, current.revision, envelope)
