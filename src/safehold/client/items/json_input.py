"""An item given as JSON by a person or a script (``add --json -``, ``edit ITEM --json -``).

The shape is the item JSON of spec/items.md (what ``get ITEM --json`` prints), read leniently
where that is safe and strictly where a mistake would lose data:

* ``fields`` maps field names (key, label or alias, as ``--field`` takes them) to text;
  a name the type lacks is an error, never a silent custom field;
* ``custom`` is a list of ``{"name", "kind"?, "value"}``;
* ``title``, ``notes``, ``tags``, ``favorite`` as in the item JSON;
* ``v``, ``id``, ``type`` (on edit), ``created``, ``modified``, ``history`` and
  ``trashed_at`` are accepted and ignored: they are the vault's to keep, so the output of
  ``get --json`` can be fed back after editing it.

Applying the JSON to an item *merges*: what it names is set (an empty value clears), the
rest is kept, and replaced secrets go to the history as with ``--field``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from .errors import InvalidItem
from .model import Item

#: Keys the vault keeps itself; accepted in the input and ignored.
_IGNORED = frozenset({"v", "id", "type", "created", "modified", "history", "trashed_at"})
_KNOWN = frozenset({"title", "fields", "custom", "notes", "tags", "favorite"}) | _IGNORED


def parse_item_json(text: str) -> dict[str, Any]:
    """The JSON object in ``text``; :class:`InvalidItem` says what is wrong with it."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidItem(
            f"the item JSON cannot be read: {exc.msg} (line {exc.lineno}, column {exc.colno})"
        ) from None
    if not isinstance(data, dict):
        raise InvalidItem("the item JSON must be an object, like the output of `safehold get ITEM --json`")
    unknown = sorted(set(data) - _KNOWN)
    if unknown:
        raise InvalidItem(
            f"the item JSON has keys Safehold does not know: {', '.join(unknown)}; "
            f"it takes {', '.join(sorted(_KNOWN - _IGNORED))}"
        )
    return data


def item_type(data: Mapping[str, Any]) -> str:
    """The ``type`` a new item from this JSON gets."""
    type_ = data.get("type")
    if not isinstance(type_, str) or not type_.strip():
        raise InvalidItem('a new item\'s JSON needs a "type", e.g. "login"')
    return type_


def item_title(data: Mapping[str, Any]) -> str | None:
    title = data.get("title")
    if title is None:
        return None
    if not isinstance(title, str) or not title.strip():
        raise InvalidItem('"title" must be non-empty text')
    return title


def apply_item_json(item: Item, data: Mapping[str, Any], now: datetime) -> None:
    """Merge ``data`` (checked by :func:`parse_item_json`) into ``item``."""
    title = item_title(data)
    if title is not None and title != item.title:
        item.set_title(title, now)
    fields = data.get("fields", {})
    if not isinstance(fields, dict):
        raise InvalidItem('"fields" must be an object of field names and text values')
    for name, value in fields.items():
        if not isinstance(value, str):
            raise InvalidItem(f"field {name!r} must have a text value")
        if item.fields.get(name) == value:
            continue
        item.set_field(name, value, now, strict=True)
    customs = data.get("custom", [])
    if not isinstance(customs, list):
        raise InvalidItem('"custom" must be a list of {"name", "kind", "value"} objects')
    for index, raw in enumerate(customs):
        if not isinstance(raw, dict) or not isinstance(raw.get("name"), str):
            raise InvalidItem(f'custom field {index} must be an object with a "name"')
        value, kind = raw.get("value", ""), raw.get("kind")
        if not isinstance(value, str) or (kind is not None and not isinstance(kind, str)):
            raise InvalidItem(f'custom field {raw["name"]!r}: "value" and "kind" must be text')
        current = next((c for c in item.custom if c.name == raw["name"]), None)
        if current is not None and current.value == value and kind in (None, current.kind):
            continue
        item.set_custom(raw["name"], kind, value, now)
    if "notes" in data:
        if not isinstance(data["notes"], str):
            raise InvalidItem('"notes" must be text')
        if data["notes"] != item.notes:
            item.set_notes(data["notes"], now)
    if "tags" in data:
        tags = data["tags"]
        if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
            raise InvalidItem('"tags" must be a list of text')
        if tags != item.tags:
            item.set_tags(tags, now)
    if "favorite" in data:
        if not isinstance(data["favorite"], bool):
            raise InvalidItem('"favorite" must be true or false')
        if data["favorite"] != item.favorite:
            item.set_favorite(data["favorite"], now)
