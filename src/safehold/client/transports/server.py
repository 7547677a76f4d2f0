"""The server transport: the vault on a Safehold server, over its HTTP API (spec/api.md).

It turns the engine's records into version 2 wire writes and the server's answers back
into records, and the server's answers into the seam's typed errors: a reset (410, or an
answer naming another generation) is :class:`StorageReset`, a batch too large (413) is
:class:`StorageTooLarge`, a server that cannot be reached is :class:`StorageUnavailable`.
A version 1 record (written before the vault log) comes back with device ``""`` and seq 0;
a version 1 tombstone with no envelope at all.
"""

from __future__ import annotations

from collections.abc import Sequence

from safehold import wire
from safehold.crypto import b64decode, b64encode

from ..api import ApiClient
from ..errors import AccountWasReset, ServerError, Unreachable
from ..transport import Page, Record, StorageReset, StorageTooLarge, StorageUnavailable, Write, WriteOutcome

__all__ = ["ServerTransport", "ServerUnreachable"]


class ServerUnreachable(StorageUnavailable, Unreachable):
    """The server could not be reached (both the seam's error and the client's)."""


def _record(change: wire.Change) -> Record:
    if change.envelope is None:
        envelope = b""
    else:
        try:
            envelope = b64decode(change.envelope)
        except ValueError:
            # Not canonical base64url (spec §1): altered on the way. It will not open, so
            # the engine quarantines it like any damaged envelope.
            envelope = change.envelope.encode("ascii", "replace") or b"\x00"
    return Record(
        item_id=change.item_id,
        revision=change.revision,
        device=change.device or "",
        seq=change.device_seq or 0,
        envelope=envelope,
        deleted=change.deleted,
    )


class ServerTransport:
    """:class:`~safehold.client.transport.Transport` over an :class:`ApiClient` (which holds
    the session and the generation)."""

    kind = "server"

    def __init__(self, api: ApiClient) -> None:
        self.api = api

    def describe(self) -> str:
        return self.api.base_url

    def close(self) -> None:
        self.api.close()

    def _reset(self, exc: AccountWasReset) -> StorageReset:
        return StorageReset("the server said the account was reset", generation=exc.generation,
                            reset_at=exc.reset_at)  # fmt: skip

    def _check_generation(self, generation: int) -> None:
        if self.api.generation is not None and generation != self.api.generation:
            raise StorageReset(f"the server answered for generation {generation}", generation=generation)

    def pull(self, cursor: str, limit: int) -> Page:
        since = int(cursor) if cursor.isdigit() else 0
        try:
            answer = self.api.changes(since, limit)
        except AccountWasReset as exc:
            raise self._reset(exc) from None
        except Unreachable as exc:
            raise ServerUnreachable(exc.message, hint=exc.hint) from None
        self._check_generation(answer.generation)
        return Page([_record(c) for c in answer.changes], str(answer.cursor), answer.has_more)

    def push(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        body = [
            wire.Write(
                item_id=w.record.item_id,
                base_revision=w.base_revision,
                envelope=b64encode(w.record.envelope),
                deleted=w.record.deleted,
                device=w.record.device,
                device_seq=w.record.seq,
            )
            for w in writes
        ]
        try:
            answer = self.api.push(body)
        except AccountWasReset as exc:
            raise self._reset(exc) from None
        except Unreachable as exc:
            raise ServerUnreachable(exc.message, hint=exc.hint) from None
        except ServerError as exc:
            if exc.status == 413:
                raise StorageTooLarge(exc.message) from None
            raise
        self._check_generation(answer.generation)
        return [
            WriteOutcome(
                item_id=r.item_id,
                accepted=r.status is wire.WriteStatus.OK,
                current=None if r.current is None else _record(r.current),
            )
            for r in answer.results
        ]
