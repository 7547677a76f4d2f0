"""File names in a folder vault, and the copies sync services make of them
(spec/folder.md §2 and §7).

Every name a device writes is *canonical*; a sync service may add a copy beside it with a
decorated name. :func:`classify` maps any directory entry to what it is, so readers can
merge a copy with its original and leave everything else alone.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from enum import Enum

__all__ = [
    "ARCHIVE_DIR",
    "HEADER_NAME",
    "Entry",
    "Kind",
    "SegmentName",
    "classify",
    "generation_dir",
    "parse_segment_name",
    "segment_name",
]

HEADER_NAME = "safehold-folder.json"
ARCHIVE_DIR = "archive"
TEMP_PREFIX = ".tmp-"

_DEVICE = r"[0-9a-f]{1,64}"
_SEGMENT = re.compile(rf"^(?P<device>{_DEVICE})\.(?P<first>\d{{12}})-(?P<last>\d{{12}})\.seg$")
_ACK = re.compile(rf"^(?P<device>{_DEVICE})\.ack\.json$")
# The decorations, each anchored before the extension (or at the end).
_DROPBOX = re.compile(r" \([^()]*conflicted copy[^()]*\)(?=\.[^.]+$|$)")
_SYNCTHING = re.compile(r"\.sync-conflict-\d{8}-\d{6}-[0-9A-Z]{7}(?=\.[^.]+$|$)")
_NUMBERED = re.compile(r" \d+(?=\.[^.]+$|$)")
_ICLOUD = re.compile(r"^\.(?P<name>.+)\.icloud$")


def generation_dir(generation: int) -> str:
    return f"g{generation}"


def segment_name(device: str, first: int, last: int) -> str:
    return f"{device}.{first:012d}-{last:012d}.seg"


def ack_name(device: str) -> str:
    return f"{device}.ack.json"


@dataclass(frozen=True, slots=True)
class SegmentName:
    device: str
    first: int
    last: int


def parse_segment_name(name: str) -> SegmentName | None:
    m = _SEGMENT.match(name)
    if m is None:
        return None
    first, last = int(m["first"]), int(m["last"])
    if first < 1 or last < first:
        return None
    return SegmentName(m["device"], first, last)


class Kind(Enum):
    ORIGINAL = "original"  #: a canonical name a device wrote
    COPY = "copy"  #: a sync service's copy of a canonical name: read, merge, clean up
    PLACEHOLDER = "placeholder"  #: iCloud has not downloaded it yet: read again later
    TEMPORARY = "temporary"  #: a write in progress (a device's temporary name)
    OTHER = "other"  #: not ours: never read, never touched


@dataclass(frozen=True, slots=True)
class Entry:
    name: str
    kind: Kind
    #: The canonical name this entry is (or is a copy or placeholder of).
    canonical: str


def _undecorate(name: str) -> str:
    for pattern in (_SYNCTHING, _DROPBOX, _NUMBERED):
        name = pattern.sub("", name)
    return name


def _is_ours(name: str) -> bool:
    return name == HEADER_NAME or _SEGMENT.match(name) is not None or _ACK.match(name) is not None


@functools.lru_cache(maxsize=8192)  # pure; an empty pull lists the same names each time
def classify(name: str) -> Entry:
    """What a directory entry is; a copy of a copy is still a copy of the original."""
    if name.startswith(TEMP_PREFIX):
        return Entry(name, Kind.TEMPORARY, name)
    placeholder = _ICLOUD.match(name)
    if placeholder is not None:
        inner = classify(placeholder["name"])
        if inner.kind in (Kind.ORIGINAL, Kind.COPY):
            return Entry(name, Kind.PLACEHOLDER, inner.canonical)
        return Entry(name, Kind.OTHER, name)
    if _is_ours(name):
        return Entry(name, Kind.ORIGINAL, name)
    canonical = _undecorate(name)
    if canonical != name and _is_ours(canonical):
        return Entry(name, Kind.COPY, canonical)
    return Entry(name, Kind.OTHER, name)
