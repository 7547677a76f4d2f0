"""The trash: a deleted item is kept for :data:`TRASH_DAYS` days before it is purged.

Being in the trash is a property of the item itself: ``trashed_at``, the ISO 8601 time of
the deletion, in the item JSON (spec/items.md). So it is sealed with the item and syncs to
every device like any edit, and restoring it on one device restores it everywhere. Items in
the trash are hidden from listings, reads and searches; after :data:`TRASH_DAYS` they are
deleted for good (a tombstone, synced).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from .errors import InvalidItem
from .model import format_time, parse_time

#: The item JSON key marking an item as in the trash (spec/items.md).
TRASHED_AT = "trashed_at"
#: Days an item stays in the trash before it is purged.
TRASH_DAYS = 30


def trashed_at(data: Mapping[str, Any]) -> datetime | None:
    """When the item was moved to the trash; None if it is not, or if the value is not a
    time (written by a newer or broken client): such an item still counts as trashed
    (:func:`is_trashed`) but is never purged on that claim, only by `trash empty`."""
    raw = data.get(TRASHED_AT)
    if raw is None:
        return None
    try:
        return parse_time(str(raw))
    except InvalidItem:
        return None


def is_trashed(data: Mapping[str, Any]) -> bool:
    return data.get(TRASHED_AT) is not None


def to_trash(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A copy of ``data`` moved to the trash at ``now`` (also its modification time)."""
    stamp = format_time(now)
    return {**data, TRASHED_AT: stamp, "modified": stamp}


def from_trash(data: Mapping[str, Any], now: datetime) -> dict[str, Any]:
    """A copy of ``data`` taken out of the trash."""
    out = {k: v for k, v in data.items() if k != TRASHED_AT}
    out["modified"] = format_time(now)
    return out


def purge_due(data: Mapping[str, Any], now: datetime, days: int = TRASH_DAYS) -> bool:
    """True when the item has been in the trash for ``days`` days or more."""
    at = trashed_at(data)
    if at is None:
        return False
    return now - at >= timedelta(days=days)
