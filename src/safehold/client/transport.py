"""The seam between the sync engine and the storage it syncs through.

Storage — the Safehold server, a shared folder, or the in-memory store the tests use —
holds *records*: sealed envelopes, each with the claims the engine needs to order them
(item, revision, writing device, that device's sequence number). Storage cannot open
envelopes and is not trusted: every claim in a :class:`Record` is bound into the
envelope's associated data (spec/protocol.md, "the vault log"), and the engine checks
the claims against the AD when it opens the record. A transport only moves bytes and
reports what storage said, as data and typed errors, never as HTTP status codes or wire
models.

Every transport implements :class:`Transport`; one parametrised test suite runs the
engine over each of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol, runtime_checkable

from .errors import ClientError

__all__ = [
    "Page",
    "Record",
    "StorageReset",
    "StorageTooLarge",
    "StorageUnavailable",
    "Transport",
    "TransportError",
    "Write",
    "WriteOutcome",
]


@dataclass(frozen=True, slots=True)
class Record:
    """One write as storage holds it.

    ``envelope`` is a sealed item or a sealed tombstone (deletions are sealed too). The
    other fields are storage's claims; the engine trusts none of them until the envelope
    opened with the same values in its associated data."""

    item_id: str  #: 32 lowercase hex digits
    revision: int  #: the item revision this write created (>= 1)
    device: str  #: the writing device's id (lowercase hex)
    seq: int  #: the writing device's own write sequence number (>= 1)
    envelope: bytes
    #: Storage's word that this is a tombstone. Only a hint: the engine opens the envelope
    #: with this value first and then the other (it is bound into the AD either way).
    deleted: bool = False


@dataclass(frozen=True, slots=True)
class Page:
    """A page of records since a cursor, oldest first."""

    records: list[Record]
    #: Opaque to the engine; pass it back to :meth:`Transport.pull`. ``""`` is the start.
    cursor: str
    has_more: bool


@dataclass(frozen=True, slots=True)
class Write:
    """Store ``record`` if storage's current revision of the item is ``base_revision``
    (0: the item is new). ``record.revision`` is ``base_revision + 1``."""

    record: Record
    base_revision: int


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    item_id: str
    accepted: bool
    #: When refused: the item as storage holds it now (``None``: storage claims it has no
    #: state, which the engine treats as a claim to check, not a fact).
    current: Record | None = None


class TransportError(ClientError):
    """Base of what a transport reports about storage."""


class StorageTooLarge(TransportError):
    """Storage refused a batch as too large; the engine splits it to find the item."""


class StorageReset(TransportError):
    """Storage says the account was reset (a new generation). A *claim*: the account
    layer decides what to do, and it never destroys local data on it."""

    def __init__(
        self,
        message: str,
        *,
        generation: int | None = None,
        hint: str | None = None,
        reset_at: datetime | None = None,
    ) -> None:
        super().__init__(message, hint=hint)
        #: The generation storage claims, when it said one.
        self.generation = generation
        #: When storage says the reset happened, when it said.
        self.reset_at = reset_at


class StorageUnavailable(TransportError):
    """Storage could not be reached or read just now; try again later."""


@runtime_checkable
class Transport(Protocol):
    """What the sync engine needs from storage."""

    #: ``"server"``, ``"folder"`` or ``"memory"``; ``status --json`` shows it.
    kind: str

    def describe(self) -> str:
        """Where the vault is kept, for a person: a server URL or a folder path."""
        ...

    def pull(self, cursor: str, limit: int) -> Page:
        """Records written since ``cursor`` (at most ``limit``, oldest first). For each
        item, storage MAY leave out records that a later record of the same item
        supersedes (the server keeps only the latest)."""
        ...

    def push(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        """Store each write by compare-and-swap on its item's revision; one outcome per
        write, in order. Raises :class:`StorageTooLarge` for a batch storage refuses as
        too large, :class:`StorageReset` when storage is at another generation."""
        ...
