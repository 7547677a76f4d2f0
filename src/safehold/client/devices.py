"""Naming a device the way a person does: by its id, its name, or a unique prefix of either.

An exact id or name (names compared without regard to case) wins; otherwise the query must
be the start of exactly one device's id or name. Several matches are an error that lists
them, never a guess: signing out the wrong device is not undone by a second try.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .errors import ItemNotFound, UsageError

if TYPE_CHECKING:
    from safehold import wire


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
