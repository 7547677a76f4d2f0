"""Restoring a backup merges it into the vault (spec/backup.md §5): it never replaces.

An item the vault lacks (or holds deleted, or holds in the trash unchanged since the backup)
comes back under its id; an equal item is left
alone; an item that differs stays as the vault has it, with the backup's version kept
beside it as a copy that says where it came from. So nothing current is overwritten and
nothing in the backup is lost, and restoring the same backup twice changes nothing more.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from safehold.client.merge import conflict_title

__all__ = ["RestorePlan", "plan_restore"]

#: What a copy's ``conflict_from`` says, and the title mark's "device".
FROM_BACKUP = "backup"


@dataclass
class RestorePlan:
    #: (id, item) to put back under their own ids: missing or deleted in the vault.
    restore: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    #: (id of the vault's item, the backup's differing version as a marked copy).
    copies: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    unchanged: int = 0


def _same(a: Mapping[str, Any], b: Mapping[str, Any]) -> bool:
    return dict(a) == dict(b)


def _trashed(item: Mapping[str, Any]) -> bool:
    return "trashed_at" in item


def _untrashed(item: Mapping[str, Any]) -> dict[str, Any]:
    """The item without what moving it to the trash changed (spec/items.md ``trashed_at``)."""
    return {k: v for k, v in item.items() if k not in ("trashed_at", "modified")}


def plan_restore(
    current: Mapping[str, Mapping[str, Any]],
    backup: Sequence[tuple[str, dict[str, Any]]],
    *,
    created: str,
) -> RestorePlan:
    """``current``: the vault's live items by id. ``created``: the backup's time (items.md §5)."""
    plan = RestorePlan()
    copies_there = {
        (str(item.get("conflict_of")), str(item.get("conflict_at"))): item
        for item in current.values()
        if item.get("conflict_from") == FROM_BACKUP
    }
    for item_id, item in backup:
        mine = current.get(item_id)
        if mine is None or (_trashed(mine) and _same(_untrashed(mine), _untrashed(item))):
            # Missing, deleted, or in the trash as it was backed up: it comes back.
            plan.restore.append((item_id, dict(item)))
        elif _same(mine, item):
            plan.unchanged += 1
        else:
            copy = dict(item)
            when = created[:16].replace("T", " ")
            copy["title"] = conflict_title(str(item.get("title", "")), FROM_BACKUP, when)
            copy["conflict_of"] = item_id
            copy["conflict_from"] = FROM_BACKUP
            copy["conflict_at"] = created
            earlier = copies_there.get((item_id, created))
            if earlier is not None and _same(earlier, copy):
                plan.unchanged += 1  # this backup was restored before: its copy is there
            else:
                plan.copies.append((item_id, copy))
    return plan
