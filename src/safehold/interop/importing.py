"""Putting imported items into the vault: in one local transaction, without duplicates.

Every imported item carries ``import_source`` (spec/items.md §1): the format and the
source's id (or a fingerprint). Importing the same file again finds the items by it and
updates them in place — a replaced password goes to the item's history — instead of
adding copies; an item whose content did not change is left alone.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from safehold.client.vault import StoredItem, Vault

from ._bulk import bulk
from .importers import ImportRead, Skipped

__all__ = ["ImportSummary", "apply_import", "bulk"]

#: Keys that say when, not what: a re-import that differs only in these changes nothing.
_TIMES = ("created", "modified")


@dataclass
class ImportSummary:
    format: str
    imported: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    #: (item title, names of the values that became custom fields)
    moved_to_custom: list[tuple[str, tuple[str, ...]]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "imported": len(self.imported),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "skipped": [{"source": s.source, "reason": s.reason} for s in self.skipped],
            "items": self.imported + self.updated,
            "moved_to_custom": [{"title": t, "fields": list(names)} for t, names in self.moved_to_custom],
        }


def _source_key(data: dict[str, Any]) -> tuple[str, str] | None:
    source = data.get("import_source")
    if (
        isinstance(source, dict)
        and isinstance(source.get("format"), str)
        and isinstance(source.get("id"), str)
    ):
        return source["format"], source["id"]
    return None


def _content(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if k not in _TIMES and k != "history"}


def _updated(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """``new`` in place of ``old``: created stays, history grows, replaced secrets kept."""
    merged = dict(new)
    merged["created"] = old.get("created", new.get("created"))
    history = list(old.get("history") or [])
    seen = {(h.get("field"), h.get("value")) for h in history if isinstance(h, dict)}
    for entry in new.get("history") or []:
        if isinstance(entry, dict) and (entry.get("field"), entry.get("value")) not in seen:
            history.append(entry)
    old_password = (old.get("fields") or {}).get("password")
    new_password = (new.get("fields") or {}).get("password")
    if old_password and old_password != new_password and ("password", old_password) not in seen:
        history.append({"field": "password", "value": old_password, "changed": new.get("modified")})
    merged["history"] = history
    return merged


def apply_import(
    vault: Vault,
    read: ImportRead,
    *,
    tag: str | None = None,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> ImportSummary:
    with bulk():
        return _apply(vault, read, tag=tag, dry_run=dry_run, progress=progress)


def _apply(
    vault: Vault,
    read: ImportRead,
    *,
    tag: str | None,
    dry_run: bool,
    progress: Callable[[int, int], None] | None,
) -> ImportSummary:
    summary = ImportSummary(read.format, skipped=list(read.skipped))
    existing: dict[tuple[str, str], StoredItem | _Pending] = {}
    for stored in vault.all(include_templates=True, include_trashed=True):
        key = _source_key(stored.data)
        if key is not None:
            existing[key] = stored
    total = len(read.items)
    writes: list[tuple[str | None, dict[str, Any]]] = []
    for done, imported in enumerate(read.items, 1):
        data = dict(imported.item)
        if tag and data.get("type") != "__template__":
            tags = list(data.get("tags") or [])
            data["tags"] = [*tags, tag] if tag not in tags else tags
        title = str(data.get("title", ""))
        if imported.moved_to_custom:
            summary.moved_to_custom.append((title, imported.moved_to_custom))
        key = _source_key(data)
        found = existing.get(key) if key is not None else None
        if found is None:
            summary.imported.append("(new)")
            writes.append((None, data))
            if key is not None:  # the same source id twice in one file: the later updates
                existing[key] = _Pending(data, len(writes) - 1)
        elif isinstance(found, _Pending):
            found.data = _updated(found.data, data)
            writes[found.index] = (None, found.data)
        elif _content(found.data) == _content(data):
            summary.unchanged.append(found.item_id)
        else:
            writes.append((found.item_id, _updated(found.data, data)))
            summary.updated.append(found.item_id)
        if progress is not None:
            progress(done, total)
    if not dry_run:
        # One transaction, one statement per table: each item alone would be its own fsync.
        ids = vault.put_many(writes)
        fresh = iter(i for (given, _), i in zip(writes, ids, strict=True) if given is None)
        summary.imported = [next(fresh) for _ in summary.imported]
    return summary


@dataclass
class _Pending:
    """An item this import adds, found again under the same source id later in the file."""

    data: dict[str, Any]
    index: int
