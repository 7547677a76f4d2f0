"""Safehold's own lossless export (``safehold export --format safehold-json``): items keep
their content exactly; their source id is the exporting vault's item id, so importing the
same export twice updates instead of duplicating."""

from __future__ import annotations

import json
from typing import Any

from safehold.client.items import TEMPLATE_ITEM_TYPE, Item, ItemError

from ._base import CorruptFile, ImportedItem, ImportRead, Skipped
from ._csv import decode


def read_json(data: bytes) -> ImportRead:
    try:
        doc = json.loads(decode(data))
    except ValueError as exc:
        raise CorruptFile(
            f"not valid JSON (line {getattr(exc, 'lineno', '?')}): the file may be truncated"
        ) from None
    if not isinstance(doc, dict) or doc.get("format") != "safehold-export":
        raise CorruptFile("not a Safehold export")
    if doc.get("version") != 1:
        raise CorruptFile(
            f"Safehold export version {doc.get('version')!r} is not one this Safehold reads (1)"
        )
    result = ImportRead("safehold-json")
    entries = doc.get("items")
    if not isinstance(entries, list):
        raise CorruptFile("the export has no list of items")
    for index, entry in enumerate(entries, 1):
        where = f"item {index}"
        if not isinstance(entry, dict) or not isinstance(entry.get("item"), dict):
            result.skipped.append(Skipped(where, "not an item entry"))
            continue
        item: dict[str, Any] = dict(entry["item"])
        source_id = str(entry.get("id") or "")
        if item.get("type") != TEMPLATE_ITEM_TYPE:
            try:
                Item.from_json(item)
            except ItemError as exc:
                result.skipped.append(Skipped(f"{where} {str(item.get('title', ''))!r}", str(exc)))
                continue
        item["import_source"] = {"format": "safehold-json", "id": source_id}
        result.items.append(ImportedItem(source_id, item))
    return result
