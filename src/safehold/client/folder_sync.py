"""INTERIM: the version 1 sync engine (client/sync.py) over a folder, until the
transport-neutral engine (issue 10 §2) replaces this module.

:class:`FolderSyncApi` gives :class:`~safehold.client.sync.SyncEngine` the two calls it
makes of the server (``changes`` and ``push``) on top of
:class:`~safehold.client.transports.folder.FolderTransport`. Envelopes are the v1 items the
vault seals; a deletion is stored as a record with an empty envelope. What the v2 engine
adds and this does not: the record's revision, device and seq bound into the envelope's AD
(so a forged or replayed record is refused), sealed tombstones, and forks (two devices
writing the same revision apart) kept as conflicts rather than the second one ignored.

The folder's cursor is an opaque string (spec/folder.md §5); it is kept in the local
vault's meta ``folder_cursor`` and saved only once the page it follows was applied (at
the next call), so a sync killed half way reads again what it had not applied.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from safehold import wire
from safehold.crypto import b64decode, b64encode

from .errors import ServerError
from .store import VaultStore
from .transport import Record, StorageTooLarge, Write
from .transports.folder import FolderTransport

__all__ = ["FolderSyncApi", "folder_transport"]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def folder_transport(store: VaultStore) -> FolderTransport:
    """The folder transport of a folder vault's local store."""
    from .folder_account import folder_of

    return FolderTransport(folder_of(store), store.device_id, store.generation, account_id=store.account_id)


def _change(rec: Record) -> wire.Change:
    deleted = not rec.envelope
    return wire.Change(
        item_id=rec.item_id, seq=rec.seq, revision=rec.revision, deleted=deleted,
        envelope=None if deleted else b64encode(rec.envelope), updated_at=_EPOCH,
    )  # fmt: skip


class FolderSyncApi:
    """``changes``/``push`` of :class:`~safehold.client.sync.SyncApi` over a folder."""

    def __init__(self, transport: FolderTransport, store: VaultStore) -> None:
        self.transport = transport
        self.store = store
        self._unsaved: str | None = None

    def _save_cursor(self) -> None:
        if self._unsaved is not None:
            self.store.set_meta(folder_cursor=self._unsaved)
            self._unsaved = None

    def changes(self, since: int, limit: int = 1000) -> wire.ChangesResponse:
        # The engine applied the previous page (in one transaction) before asking again.
        self._save_cursor()
        page = self.transport.pull(self.store.meta("folder_cursor") or "", limit)
        self._unsaved = page.cursor
        return wire.ChangesResponse(
            generation=self.transport.generation,
            changes=[_change(r) for r in page.records],
            # The engine only needs it to grow while there is more.
            cursor=since + 1 if page.has_more else since,
            has_more=page.has_more,
        )

    def push(self, writes: Sequence[wire.Write]) -> wire.PushResponse:
        self._save_cursor()  # pull is over: its last page was applied
        seq = int(self.store.meta("folder_seq") or 0)
        records: list[Write] = []
        for w in writes:
            seq += 1
            envelope = b"" if w.envelope is None else b64decode(w.envelope)
            record = Record(w.item_id, w.base_revision + 1, self.transport.device_id, seq, envelope)
            records.append(Write(record, w.base_revision))
        # Numbers are never reused, even for writes that were refused or not stored.
        self.store.set_meta(folder_seq=str(seq))
        try:
            outcomes = self.transport.push(records)
        except StorageTooLarge as exc:
            raise ServerError(exc.message, status=413) from None
        results = []
        for write, outcome in zip(records, outcomes, strict=True):
            if outcome.accepted:
                results.append(wire.WriteResult(item_id=outcome.item_id, status=wire.WriteStatus.OK,
                                                revision=write.record.revision))  # fmt: skip
            else:
                current = None if outcome.current is None else _change(outcome.current)
                results.append(wire.WriteResult(item_id=outcome.item_id, status=wire.WriteStatus.CONFLICT,
                                                current=current))  # fmt: skip
        return wire.PushResponse(generation=self.transport.generation, results=results)

    def finish(self) -> None:
        """After a sync that ended without a push: keep the cursor of the applied pages."""
        self._save_cursor()
