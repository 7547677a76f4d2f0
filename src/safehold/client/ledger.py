"""Which of a writing device's sequence numbers this device has opened (spec/protocol.md §11.4).

Pure bookkeeping, no I/O: the sync engine loads one :class:`WriterLog` per writing device
from the local vault, updates it as records open, and stores it back.

A number is *closed* once a record carrying it opened. Numbers below the highest closed one
that are still open are the *gaps*: a write that storage kept only in a later form (the
normal case: storage keeps the latest record of each item), or one it withheld. A record
whose number is already closed was seen before (or is another record re-using the
number), so the engine refuses it unless it is the very same write.
"""

from __future__ import annotations

import bisect

__all__ = ["WriterLog"]


class WriterLog:
    """One writing device's numbers: the highest closed and the open ranges below it."""

    __slots__ = ("_gaps", "_los", "max_seq")

    def __init__(self, max_seq: int = 0, gaps: list[list[int]] | None = None) -> None:
        self.max_seq = max_seq
        #: Sorted, disjoint, inclusive ``[lo, hi]`` ranges, all below ``max_seq``.
        self._gaps: list[list[int]] = sorted([list(g) for g in gaps or []])
        self._los = [g[0] for g in self._gaps]

    @property
    def gaps(self) -> list[list[int]]:
        return [list(g) for g in self._gaps]

    def _find(self, seq: int) -> int:
        """Index of the gap holding ``seq``, or -1."""
        i = bisect.bisect_right(self._los, seq) - 1
        if i >= 0 and self._gaps[i][0] <= seq <= self._gaps[i][1]:
            return i
        return -1

    def is_closed(self, seq: int) -> bool:
        return 1 <= seq <= self.max_seq and self._find(seq) < 0

    def open_count(self) -> int:
        """How many numbers below the highest are still open."""
        return sum(hi - lo + 1 for lo, hi in self._gaps)

    def close(self, seq: int) -> bool:
        """Close ``seq``; ``False`` if it was closed already."""
        if seq > self.max_seq:
            if seq > self.max_seq + 1:
                self._gaps.append([self.max_seq + 1, seq - 1])
                self._los.append(self.max_seq + 1)
            self.max_seq = seq
            return True
        i = self._find(seq)
        if i < 0:
            return False
        lo, hi = self._gaps[i]
        parts = [p for p in ([lo, seq - 1], [seq + 1, hi]) if p[0] <= p[1]]
        self._gaps[i : i + 1] = parts
        self._los[i : i + 1] = [p[0] for p in parts]
        return True
