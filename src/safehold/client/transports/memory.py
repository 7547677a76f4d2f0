"""The in-memory transport: storage shared by the devices of one test, in this process.

It behaves as the server does (spec/api.md "Vault"): a compare-and-swap on each item's
revision, a log numbered in order, and only the latest record of each item kept, so a pull
from any cursor returns the latest record of every item written since. It stores opaque
bytes; it cannot open anything.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..transport import Page, Record, StorageReset, StorageTooLarge, Write, WriteOutcome

__all__ = ["MemoryStorage", "MemoryTransport"]


@dataclass
class MemoryStorage:
    """What the devices share: items by id with the log number of their latest write."""

    generation: int = 1
    #: A push of more writes than this, or holding an envelope larger than
    #: ``max_envelope``, is refused as too large (as the server's 413).
    max_batch: int = 500
    max_envelope: int | None = None
    items: dict[str, tuple[int, Record]] = field(default_factory=dict)
    seq: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def latest(self, item_id: str) -> Record | None:
        found = self.items.get(item_id)
        return None if found is None else found[1]


class MemoryTransport:
    """:class:`~safehold.client.transport.Transport` over a :class:`MemoryStorage`."""

    kind = "memory"

    def __init__(self, storage: MemoryStorage, generation: int | None = None) -> None:
        self.storage = storage
        self.generation = storage.generation if generation is None else generation

    def describe(self) -> str:
        return f"memory:{id(self.storage):x}"

    def _check_generation(self) -> None:
        if self.storage.generation != self.generation:
            raise StorageReset("the account was reset", generation=self.storage.generation)

    def pull(self, cursor: str, limit: int) -> Page:
        with self.storage.lock:
            self._check_generation()
            since = int(cursor) if cursor.isdigit() else 0
            newer = sorted((n, r) for n, r in self.storage.items.values() if n > since)
            page = newer[: max(1, limit)]
            end = page[-1][0] if page else max(since, self.storage.seq)
            return Page([r for _, r in page], str(end), len(newer) > len(page))

    def push(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        with self.storage.lock:
            self._check_generation()
            limit = self.storage.max_envelope
            if len(writes) > self.storage.max_batch or (
                limit is not None and any(len(w.record.envelope) > limit for w in writes)
            ):
                raise StorageTooLarge("storage refused the batch as too large")
            outcomes: list[WriteOutcome] = []
            for w in writes:
                current = self.storage.latest(w.record.item_id)
                have = 0 if current is None else current.revision
                if w.base_revision != have or w.record.revision != have + 1:
                    outcomes.append(WriteOutcome(w.record.item_id, False, current))
                    continue
                self.storage.seq += 1
                self.storage.items[w.record.item_id] = (self.storage.seq, w.record)
                outcomes.append(WriteOutcome(w.record.item_id, True))
            return outcomes

    def close(self) -> None:
        pass
