"""The folder transport: a vault kept in a folder that a sync service (Dropbox,
Syncthing, iCloud, a USB stick) shares between devices (spec/folder.md).

One writer per file: this device writes only files named by its own device id. Every
push is one new immutable segment file; a reader merges every device's segments, and
every sync-service copy of them, into one view. Envelopes stay opaque bytes here: the
engine checks every claim of a record against its envelope's associated data.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import heapq
import itertools
import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..folder.header import FolderHeader, archive_old_generations, read_header, write_atomic
from ..folder.layout import Kind, ack_name, classify, generation_dir, parse_segment_name, segment_name
from ..folder.records import Segment, decode_segment, encode_segment
from ..transport import Page, Record, StorageReset, StorageTooLarge, StorageUnavailable, Write, WriteOutcome

__all__ = ["FolderTransport"]

#: A push of more records than this is refused, so one segment stays a sane size.
MAX_BATCH = 5000
#: Compact this device's files once it has more than this many segments.
COMPACT_AFTER = 32

#: Per device: files ``<= upto`` taken in, ``taken`` records of file ``upto + 1`` taken,
#: ``maxseq`` the highest record seq taken (used to read a snapshot that overlaps).
_Pos = tuple[int, int, int]


@dataclass(frozen=True, slots=True)
class _File:
    path: Path
    first: int
    last: int
    copy: bool


@functools.lru_cache(maxsize=16384)
def _classify_file(gdir: Path, name: str) -> tuple[str, _File] | None:
    """The writing device and file that ``name`` in ``gdir`` is, or ``None`` (not a record
    file). What a name says never changes, so each is worked out once per process: an
    empty pull of a folder of many files then costs a listing, not a parse per file."""
    entry = classify(name)
    if entry.kind not in (Kind.ORIGINAL, Kind.COPY):
        return None  # placeholders are read once downloaded; temporaries never
    parsed = parse_segment_name(entry.canonical)
    if parsed is None:
        return None
    return parsed.device, _File(gdir / name, parsed.first, parsed.last, entry.kind is Kind.COPY)


def _encode_cursor(generation: int, positions: dict[str, _Pos]) -> str:
    doc = {"g": generation, "d": {k: list(v) for k, v in sorted(positions.items())}}
    return base64.urlsafe_b64encode(json.dumps(doc, separators=(",", ":")).encode()).rstrip(b"=").decode()


def _decode_cursor(cursor: str) -> tuple[int | None, dict[str, _Pos]]:
    if not cursor:
        return None, {}
    try:
        doc = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        positions = {str(k): (int(v[0]), int(v[1]), int(v[2])) for k, v in doc["d"].items()}
        return int(doc["g"]), positions
    except (ValueError, KeyError, TypeError, IndexError):
        # A cursor we did not write (or a damaged one): start over; the engine ignores
        # records it already holds, so reading again loses nothing.
        return None, {}


class FolderTransport:
    """:class:`~safehold.client.transport.Transport` over a vault folder."""

    kind = "folder"

    def __init__(
        self,
        path: Path | str,
        device_id: str,
        generation: int,
        *,
        account_id: str | None = None,
        compact_after: int = COMPACT_AFTER,
        compact_ratio: float = 1.5,
    ) -> None:
        self.path = Path(path)
        self.device_id = device_id.lower()
        self.generation = generation
        self.account_id = account_id
        self.compact_after = compact_after
        #: Compact when this device's files exceed this many times its live records (0: never).
        self.compact_ratio = compact_ratio
        # Parsed complete segments never change: cache them by (path, size, mtime).
        self._cache: dict[Path, tuple[tuple[int, int], Segment]] = {}
        # This device's merged view for compare-and-swap: item -> current record.
        self._index: dict[str, Record] = {}
        self._index_pos: dict[str, _Pos] = {}

    def describe(self) -> str:
        return str(self.path)

    # -- header -------------------------------------------------------------------

    def header(self) -> FolderHeader:
        """The folder's header (the account layer watches ``keyset_version``)."""
        return read_header(self.path, self.account_id)

    def _check_generation(self) -> Path:
        header = self.header()
        if header.generation != self.generation:
            raise StorageReset(
                f"the vault in {self.path} was reset (generation {header.generation}, "
                f"this device knows {self.generation})",
                generation=header.generation,
            )
        return self.path / generation_dir(self.generation)

    def writers(self) -> dict[str, float]:
        """Every device that has written to this generation's directory, with the time its
        newest file changed (seconds since the epoch): the folder's list of devices. The
        names are the files' own (spec/folder.md §2), so nothing here is trusted more than
        the folder; it is for showing, never for deciding."""
        found: dict[str, float] = {}
        for device, files in self._files(self._check_generation()).items():
            for f in files:
                try:
                    changed = f.path.stat().st_mtime
                except OSError:
                    continue
                found[device] = max(found.get(device, 0.0), changed)
        return found

    # -- reading ------------------------------------------------------------------

    def _files(self, gdir: Path) -> dict[str, list[_File]]:
        try:
            names = os.listdir(gdir)
        except FileNotFoundError:
            return {}
        except OSError as exc:
            raise StorageUnavailable(f"cannot read {gdir}: {exc.strerror}") from None
        out: dict[str, list[_File]] = {}
        for name in names:
            found = _classify_file(gdir, name)
            if found is not None:
                out.setdefault(found[0], []).append(found[1])
        return out

    def _read(self, f: _File) -> Segment:
        try:
            st = f.path.stat()
            key = (st.st_size, st.st_mtime_ns)
            hit = self._cache.get(f.path)
            if hit is not None and hit[0] == key:
                return hit[1]
            seg = decode_segment(f.path.read_bytes())
        except OSError:
            return Segment([], False)  # gone (compacted, cleaned up) or unreadable now
        if seg.complete:
            self._cache[f.path] = (key, seg)
        return seg

    def _best(self, files: list[_File], want: int) -> tuple[_File, Segment] | None:
        """The file to read for this device's file number ``want``: a complete one
        (widest first, original before copy), else the partial one with most records."""
        candidates = sorted((f for f in files if f.first <= want <= f.last), key=lambda f: (-f.last, f.copy))
        partial: tuple[_File, Segment] | None = None
        for f in candidates:
            seg = self._read(f)
            if seg.complete:
                return f, seg
            if partial is None or len(seg.records) > len(partial[1].records):
                partial = (f, seg)
        return partial

    def _collect(
        self, gdir: Path, positions: dict[str, _Pos], limit: int | None
    ) -> tuple[list[Record], dict[str, _Pos], bool]:
        files = self._files(gdir)
        new_positions = dict(positions)
        streams: list[tuple[int, str, int, Record, _Pos, Iterator[tuple[Record, _Pos]]]] = []
        for n, (device, dfiles) in enumerate(sorted(files.items())):
            it = self._stream_with_end(dfiles, positions.get(device, (0, 0, 0)), device, new_positions)
            first = next(it, None)
            if first is not None:
                streams.append((first[0].revision, device, n, first[0], first[1], it))
        heapq.heapify(streams)
        out: list[Record] = []
        while streams and (limit is None or len(out) < limit):
            _, device, n, rec, pos, it = heapq.heappop(streams)
            out.append(rec)
            new_positions[device] = pos
            nxt = next(it, None)
            if nxt is not None:
                heapq.heappush(streams, (nxt[0].revision, device, n, nxt[0], nxt[1], it))
        return out, new_positions, bool(streams)

    def _stream_with_end(
        self, files: list[_File], pos: _Pos, device: str, positions: dict[str, _Pos]
    ) -> Iterator[tuple[Record, _Pos]]:
        """Like :meth:`_device_stream`, and records in ``positions`` where it ended when it
        ran to its end (so completing a file with no new records still moves on)."""
        upto, taken, maxseq = pos
        while True:
            best = self._best(files, upto + 1)
            if best is None:
                break
            f, seg = best
            if f.first == f.last == upto + 1:  # one push's file: the same bytes everywhere
                for rec in itertools.islice(seg.records, taken, None):
                    taken += 1
                    maxseq = max(maxseq, rec.seq)
                    yield rec, (upto, taken, maxseq)
            else:  # a snapshot: it may replace a file partly taken in, so go by seq
                taken = 0
                for rec in seg.records:
                    if rec.seq > maxseq:
                        maxseq = rec.seq
                        yield rec, (upto, 0, maxseq)
            if not seg.complete:
                break
            upto, taken = f.last, 0
        positions[device] = (upto, taken, maxseq)

    def pull(self, cursor: str, limit: int) -> Page:
        gdir = self._check_generation()
        gen, positions = _decode_cursor(cursor)
        if gen is not None and gen != self.generation:
            raise StorageReset(f"the cursor is from generation {gen}", generation=self.generation)
        records, new_positions, has_more = self._collect(gdir, positions, max(1, limit))
        if new_positions != positions and not has_more:
            # Once per sync (its last page), not per page: an ack costs an fsync.
            self._write_ack(gdir, new_positions)
        return Page(records, _encode_cursor(self.generation, new_positions), has_more)

    # -- writing ------------------------------------------------------------------

    def _refresh_index(self, gdir: Path) -> None:
        records, self._index_pos, _ = self._collect(gdir, self._index_pos, None)
        for rec in records:
            cur = self._index.get(rec.item_id)
            if cur is None or (rec.revision, rec.device, rec.seq) > (cur.revision, cur.device, cur.seq):
                self._index[rec.item_id] = rec

    def current(self, item_id: str) -> Record | None:
        """The item's current record in the merged view (the winner of a fork)."""
        gdir = self._check_generation()
        self._refresh_index(gdir)
        return self._index.get(item_id)

    def push(self, writes: Sequence[Write]) -> list[WriteOutcome]:
        if len(writes) > MAX_BATCH:
            raise StorageTooLarge(f"a folder push holds at most {MAX_BATCH} records")
        gdir = self._check_generation()
        self._refresh_index(gdir)
        outcomes: list[WriteOutcome] = []
        accepted: list[Record] = []
        for w in writes:
            cur = self._index.get(w.record.item_id)
            have = 0 if cur is None else cur.revision
            rec = w.record
            if w.base_revision != have or rec.revision != have + 1 or rec.device != self.device_id:
                outcomes.append(WriteOutcome(w.record.item_id, False, cur))
                continue
            accepted.append(w.record)
            self._index[w.record.item_id] = w.record
            outcomes.append(WriteOutcome(w.record.item_id, True))
        if accepted:
            mine = self._files(gdir).get(self.device_id, [])
            number = max((f.last for f in mine), default=0) + 1
            try:
                write_atomic(gdir, segment_name(self.device_id, number, number), encode_segment(accepted))
            except OSError as exc:
                raise StorageUnavailable(f"cannot write to {gdir}: {exc.strerror}") from None
            if len(mine) + 1 > self.compact_after or self._bloated(mine):
                self.compact()
        return outcomes

    # -- acks and compaction ------------------------------------------------------

    def _bloated(self, mine: list[_File]) -> bool:
        """More than twice the bytes of this device's live records are in its files
        (compacting at the default 1.5x keeps the folder within the spec's 2x of the live envelopes)."""
        if len(mine) < 2 or not self.compact_ratio:
            return False
        live = sum(len(r.envelope) + 64 for r in self._index.values() if r.device == self.device_id)
        size = 0
        for f in mine:
            with contextlib.suppress(OSError):
                size += f.path.stat().st_size
        return size > self.compact_ratio * live

    def _write_ack(self, gdir: Path, positions: dict[str, _Pos]) -> None:
        doc = {d: p[0] for d, p in positions.items()}
        # An ack only delays compaction; failing to write one never makes a pull fail.
        with contextlib.suppress(OSError):
            write_atomic(gdir, ack_name(self.device_id), json.dumps(doc, sort_keys=True).encode())

    def _acked_by_others(self, gdir: Path) -> int | None:
        """The highest file number of ours that every other device has taken in
        (``None``: no other device has said anything, so nothing holds compaction back)."""
        low: int | None = None
        try:
            names = os.listdir(gdir)
        except OSError:
            return None
        for name in names:
            entry = classify(name)
            if entry.kind is not Kind.ORIGINAL or not name.endswith(".ack.json"):
                continue
            if name == ack_name(self.device_id):
                continue
            try:
                doc = json.loads((gdir / name).read_bytes())
                taken = int(doc.get(self.device_id, 0))
            except (OSError, ValueError, TypeError, AttributeError):
                continue
            low = taken if low is None else min(low, taken)
        return low

    def compact(self) -> bool:
        """Fold this device's segments (only its own: one writer per file) that every
        other device has taken in into one snapshot keeping each item's latest record of
        ours, then remove the folded files and every sync-service copy of them."""
        gdir = self._check_generation()
        mine = self._files(gdir).get(self.device_id, [])
        if len(mine) < 2:
            return False
        limit = max(f.last for f in mine)
        acked = self._acked_by_others(gdir)
        if acked is not None:
            limit = min(limit, acked)
        latest: dict[str, Record] = {}
        upto = 0
        while upto < limit:
            best = self._best(mine, upto + 1)
            if best is None or not best[1].complete or best[0].last > limit:
                break  # a gap or a partial file: fold only what is whole and contiguous
            for rec in best[1].records:
                cur = latest.get(rec.item_id)
                if cur is None or (rec.revision, rec.seq) >= (cur.revision, cur.seq):
                    latest[rec.item_id] = rec
            upto = best[0].last
        folded = [f for f in mine if f.last <= upto]
        if upto == 0 or len(folded) < 2:
            return False
        snapshot = sorted(latest.values(), key=lambda r: r.seq)
        write_atomic(gdir, segment_name(self.device_id, 1, upto), encode_segment(snapshot))
        keep = gdir / segment_name(self.device_id, 1, upto)
        for f in folded:
            if f.path != keep:
                with contextlib.suppress(OSError):
                    f.path.unlink()
                self._cache.pop(f.path, None)
        return True

    def archive_old_generations(self) -> None:
        """Move older generations' directories into the archive (after a reset)."""
        archive_old_generations(self.path, self.generation)
