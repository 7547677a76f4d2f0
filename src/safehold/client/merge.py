"""Three-way merge of two versions of one item against their common base. Pure functions.

Items are the JSON values of ``safehold.client.items`` (``{"v", "type", "title", "fields",
"custom", "tags", "favorite", "notes", "created", "modified", "history"}``), but the merge
only assumes a JSON object, so unknown keys merge too.

Rules, per key (and per field inside ``fields``, per name inside ``custom``):

* changed on one side only: that side's value;
* changed on both sides to the same value: that value;
* changed on both sides differently: a *conflict*; the remote (server) value stays in the
  merged item, and the caller keeps the whole local version as a conflict copy;
* ``tags`` merge as sets (additions and removals from both sides), ``history`` is the union
  of both histories, ``modified`` the later of the two: these never conflict. Two devices
  that replaced the same old password each record it in their history; the union keeps one
  entry per field and old value among the entries new since the base (the earliest).

Nothing is dropped: every local change is either in the merged item or, for a conflicting
field, in the conflict copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

#: Keys whose values merge by their own rules and never conflict.
_SET_KEYS = {"tags"}
_UNION_KEYS = {"history"}
_LATEST_KEYS = {"modified"}
#: Keys holding an object merged key by key.
_DICT_KEYS = {"fields"}
#: Keys holding a list of ``{"name": ...}`` objects merged name by name.
_NAMED_LIST_KEYS = {"custom"}

_MISSING: Any = object()


@dataclass
class MergeResult:
    merged: dict[str, Any]
    #: Dotted paths of the values both sides changed differently (remote kept in ``merged``).
    conflicts: list[str] = field(default_factory=list)


def _pick(path: str, b: Any, l: Any, r: Any, conflicts: list[str]) -> Any:  # noqa: E741
    if l == r:
        return l
    if l == b:
        return r
    if r == b:
        return l
    conflicts.append(path)
    return r


def _merge_set(b: Any, l: Any, r: Any) -> Any:  # noqa: E741
    if l in (r, b):
        return r
    if r == b:
        return l
    if not all(isinstance(v, list) or v is _MISSING for v in (b, l, r)):
        return r if r is not _MISSING else l
    base = set(_hashable(b if b is not _MISSING else []))
    left = l if l is not _MISSING else []
    right = r if r is not _MISSING else []
    lset, rset = set(_hashable(left)), set(_hashable(right))
    out: list[Any] = []
    seen: set[Any] = set()
    for value in [*right, *left]:
        key = _freeze(value)
        if key in seen:
            continue
        in_l, in_r, in_b = key in lset, key in rset, key in base
        if (in_l and in_r) or (in_l and not in_b) or (in_r and not in_b):
            out.append(value)
            seen.add(key)
    return out


def _merge_union(b: Any, l: Any, r: Any) -> Any:  # noqa: E741
    # Old passwords are kept even against a side that dropped them: history only grows.
    if l == r:
        return l
    if not isinstance(l, list) or not isinstance(r, list):
        return r if r is not _MISSING else l
    seen = {_freeze(v) for v in r}
    extra = [v for v in l if _freeze(v) not in seen]
    merged = _dedupe_history(r, extra, b if isinstance(b, list) else [])
    if all(isinstance(v, dict) and isinstance(v.get("changed"), str) for v in merged):
        # A total order, so every device that merges the same histories stores the same list.
        merged.sort(key=lambda v: (v["changed"], str(v.get("field")), str(v.get("value"))))
    return merged


def _history_key(entry: Any) -> tuple[str, Any] | None:
    if isinstance(entry, dict) and "field" in entry and "value" in entry:
        return str(entry["field"]), _freeze(entry["value"])
    return None


def _dedupe_history(remote: list[Any], local_extra: list[Any], base: list[Any]) -> list[Any]:
    """``remote`` plus ``local_extra``, less the local entries that repeat the field and old
    value of a remote entry that is also new since ``base`` (both devices replaced the same
    value); of such a pair the earlier is kept. Each side's own history is left as it is."""
    in_base = {_freeze(v) for v in base}
    remote_new: dict[tuple[str, Any], int] = {}
    for index, entry in enumerate(remote):
        key = _history_key(entry)
        if key is not None and _freeze(entry) not in in_base:
            remote_new.setdefault(key, index)
    out = list(remote)
    for entry in local_extra:
        key = _history_key(entry)
        if key is None or _freeze(entry) in in_base or key not in remote_new:
            out.append(entry)
            continue
        index = remote_new[key]
        if str(entry.get("changed", "")) < str(out[index].get("changed", "")):
            out[index] = entry
    return out


def _merge_named(path: str, b: Any, l: Any, r: Any, conflicts: list[str]) -> Any:  # noqa: E741
    def by_name(value: Any) -> dict[str, Any] | None:
        if value is _MISSING:
            return {}
        if not isinstance(value, list) or not all(isinstance(v, dict) and "name" in v for v in value):
            return None
        names = [str(v["name"]) for v in value]
        if len(set(names)) != len(names):
            return None
        return {str(v["name"]): v for v in value}

    if l in (r, b):
        return r
    if r == b:
        return l
    bd, ld, rd = by_name(b), by_name(l), by_name(r)
    if bd is None or ld is None or rd is None:
        return _pick(path, b, l, r, conflicts)
    order = [*rd, *(name for name in ld if name not in rd)]
    out = []
    for name in order:
        value = _pick(
            f"{path}.{name}",
            bd.get(name, _MISSING),
            ld.get(name, _MISSING),
            rd.get(name, _MISSING),
            conflicts,
        )
        if value is not _MISSING:
            out.append(value)
    return out


def _merge_dict(prefix: str, b: Any, l: Any, r: Any, conflicts: list[str], top: bool) -> Any:  # noqa: E741
    if not isinstance(l, dict) or not isinstance(r, dict):
        return _pick(prefix, b, l, r, conflicts)
    if not top and (l == b or r == b):
        return r if l == b else l
    base = b if isinstance(b, dict) else {}
    out: dict[str, Any] = {}
    for key in [*r, *(k for k in l if k not in r)]:
        bv, lv, rv = base.get(key, _MISSING), l.get(key, _MISSING), r.get(key, _MISSING)
        path = f"{prefix}.{key}" if prefix else key
        if top and key in _LATEST_KEYS:
            present = [v for v in (lv, rv) if v is not _MISSING]
            value = max(present, key=str) if present else _MISSING
        elif top and key in _SET_KEYS:
            value = _merge_set(bv, lv, rv)
        elif top and key in _UNION_KEYS:
            value = _merge_union(bv, lv, rv)
        elif top and key in _NAMED_LIST_KEYS:
            value = _merge_named(path, bv, lv, rv, conflicts)
        elif top and key in _DICT_KEYS and lv != rv:
            value = _merge_dict(path, bv, lv, rv, conflicts, top=False)
        else:
            value = _pick(path, bv, lv, rv, conflicts)
        if value is not _MISSING:
            out[key] = value
    return out


def merge_items(base: dict[str, Any] | None, local: dict[str, Any], remote: dict[str, Any]) -> MergeResult:
    """Merge ``local`` and ``remote`` against ``base`` (``None`` when there is no common base:
    then every difference is a conflict)."""
    conflicts: list[str] = []
    merged = _merge_dict("", base or {}, local, remote, conflicts, top=True)
    if merged.get(_TRASHED_AT) is not None and base is not None:
        # Put in the trash on one device, edited on the other: the edit brings it back out,
        # as an edit brings back an item deleted elsewhere (the person is still using it).
        for side in (local, remote):
            if side.get(_TRASHED_AT) is None and _content(side) != _content(base):
                merged.pop(_TRASHED_AT)
                break
    return MergeResult(merged=merged, conflicts=conflicts)


#: The trash mark (items.trash): an edit on another device takes an item out of the trash.
_TRASHED_AT = "trashed_at"


def _content(item: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in item.items() if k not in (_TRASHED_AT, "modified")}


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return tuple(sorted((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


def _hashable(values: list[Any]) -> list[Any]:
    return [_freeze(v) for v in values]


def conflict_title(title: str, device: str, when: str) -> str:
    """``<title> (conflict copy from <device>, <date>)``."""
    return f"{title} (conflict copy from {device}, {when})"
