"""Storage that lies: a transport wrapper for the engine suite (issue 10, "malicious server").

``Malice(inner)`` forwards to a real transport (memory, folder, or the server transport
over a real uvicorn) and can, on request, do what an attacker holding the storage can do
without the vault key: serve an older record again (``rollback``), re-serve a record under
another item or revision (``forge``), add an unsealed tombstone (``forge_tombstone``),
acknowledge a push and drop it (``drop_pushes``), leave items out (``withhold``), flip a
byte of an envelope (``garble``), and lose the answer of a push it applied
(``lose_answers``). Every record that passes is remembered (``history``), so an attack can
replay what storage once served.
"""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

from safehold.client.transport import (
    Page,
    Record,
    StorageTooLarge,
    StorageUnavailable,
    Transport,
    Write,
    WriteOutcome,
)

__all__ = ["Malice"]


@dataclass
class Malice:
    inner: Transport
    #: Records served before (and written by this device), oldest first.
    history: list[Record] = field(default_factory=list)
    withhold: set[str] = field(default_factory=set)
    garble: set[str] = field(default_factory=set)
    #: Records added to the next pull's last page (then cleared).
    inject: list[Record] = field(default_factory=list)
    drop_pushes: bool = False
    #: Pushes fail before they reach storage (the network is down).
    fail_pushes: bool = False
    lose_answers: bool = False
    dropped: list[Write] = field(default_factory=list)
    #: Items whose writes storage refuses as too large (a 413).
    too_large: set[str] = field(default_factory=set)
    #: Answers added to every push's outcomes (for items nobody sent).
    extra_answers: list[WriteOutcome] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return self.inner.kind

    def describe(self) -> str:
        return self.inner.describe()

    def close(self) -> None:
        close = getattr(self.inner, "close", None)
        if callable(close):
            close()

    # --- attacks ----------------------------------------------------------------------

    def older(self, item_id: str, revision: int) -> Record:
        """The record of ``item_id`` at ``revision`` that passed through here."""
        for rec in self.history:
            if rec.item_id == item_id and rec.revision == revision:
                return rec
        raise LookupError((item_id, revision))

    def rollback(self, item_id: str, revision: int) -> None:
        """Serve an older record of the item again, as if it were new."""
        self.inject.append(self.older(item_id, revision))

    def forge(self, record: Record, **claims: object) -> None:
        """Serve ``record``'s envelope under other claims (item, revision, device, seq)."""
        self.inject.append(replace(record, **claims))  # type: ignore[arg-type]

    def forge_tombstone(self, item_id: str, revision: int, device: str, seq: int) -> None:
        """A deletion storage made up: a record that claims to be a tombstone."""
        self.inject.append(Record(item_id, revision, device, seq, secrets.token_bytes(285), deleted=True))

    # --- the transport ----------------------------------------------------------------

    def _served(self, rec: Record) -> Record:
        if rec.item_id in self.garble and rec.envelope:
            flipped = bytearray(rec.envelope)
            flipped[-1] ^= 0x01
            rec = replace(rec, envelope=bytes(flipped))
        return rec

    def pull(self, cursor: str, limit: int) -> Page:
        page = self.inner.pull(cursor, limit)
        for rec in page.records:
            self.history.append(rec)
        records = [self._served(r) for r in page.records if r.item_id not in self.withhold]
        if not page.has_more and self.inject:
            records.extend(self.inject)
            self.inject = []
        return Page(records, page.cursor, page.has_more)

    def push(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        if any(w.record.item_id in self.too_large for w in writes):
            raise StorageTooLarge("storage refused the batch as too large")
        if self.fail_pushes:
            raise StorageUnavailable("storage cannot be reached")
        if self.drop_pushes:
            self.dropped.extend(writes)
            return [WriteOutcome(w.record.item_id, True) for w in writes]
        outcomes = self.inner.push(writes)
        for w, o in zip(writes, outcomes, strict=False):
            if o.accepted:
                self.history.append(w.record)
        if self.lose_answers:
            raise StorageUnavailable("the connection dropped after storage applied the push")
        return [*outcomes, *self.extra_answers]
