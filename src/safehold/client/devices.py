"""Naming a device the way a person does: by its id, its name, or a unique prefix of either.

An exact id or name (names compared without regard to case) wins; otherwise the query must
be the start of exactly one device's id or name. Several matches are an error that lists
them, never a guess: signing out the wrong device is not undone by a second try.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .errors import ItemNotFound, UsageError

if TYPE_CHECKING:
    from safehold import wire

    from .account import Unlocked


@dataclass(frozen=True)
class FolderDevice:
    """A device that has written to a folder vault (a folder has no sessions or names)."""

    device_id: str
    current: bool
    #: When its newest file in the folder changed (the folder's clock), if it has one.
    last_write: datetime | None
    #: The highest write number this device has taken in from it (0: none yet).
    writes_seen: int

    def to_json(self) -> dict[str, object]:
        return {"device_id": self.device_id, "current": self.current, "writes_seen": self.writes_seen,
                "last_write": None if self.last_write is None else self.last_write.isoformat()}  # fmt: skip


def folder_devices(unlocked: Unlocked) -> list[FolderDevice]:
    """The devices of a folder vault: those with files in the folder's current generation,
    those this device has taken writes from, and this one; newest write first."""
    from .transports import close_transport

    store = unlocked.store
    me = store.device_id
    transport = unlocked.transport()
    try:
        lister = getattr(transport, "writers", None)
        written: dict[str, float] = lister() if lister is not None else {}
    finally:
        close_transport(transport)
    seen = {device: max_seq for device, (max_seq, _) in store.writers().items()}
    out = [
        FolderDevice(
            device,
            device == me,
            datetime.fromtimestamp(written[device], UTC) if device in written else None,
            seen.get(device, 0),
        )
        for device in sorted(set(written) | set(seen) | {me})
    ]
    epoch = datetime.fromtimestamp(0, UTC)
    out.sort(key=lambda d: (not d.current, -(d.last_write or epoch).timestamp(), d.device_id))
    return out


def find_device(devices: Sequence[wire.Device], query: str) -> wire.Device:
    q = query.strip()
    if not q:
        raise UsageError("name a device: its name, its id, or the start of either",
                         hint="`safehold devices` lists them")  # fmt: skip
    folded = q.casefold()
    for exact in (
        [d for d in devices if d.device_id == q.lower()],
        [d for d in devices if d.name == q],
        [d for d in devices if d.name.casefold() == folded],
    ):
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            break
    found = [d for d in devices if d.device_id.startswith(q.lower()) or d.name.casefold().startswith(folded)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ItemNotFound(f"no device of this account is called or has an id starting with {q!r}",
                           hint="`safehold devices` lists them")  # fmt: skip
    listed = "; ".join(f"{d.name!r} ({d.device_id})" for d in found)
    raise ItemNotFound(f"{q!r} matches {len(found)} devices: {listed}", hint="give more of the id or name")
