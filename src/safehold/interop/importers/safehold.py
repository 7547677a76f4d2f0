"""Safehold's own exports. ``safehold-json`` (lossless): items keep their content exactly;
their source id is the exporting vault's item id, so importing the same export twice
updates instead of duplicating. ``safehold-csv`` (``--format csv``): the columns of
docs/cli.md read back into items (without history, and custom fields' kinds guessed)."""

from __future__ import annotations

import json
from typing import Any

from safehold.client.items import TEMPLATE_ITEM_TYPE, Item, ItemError

from ._base import CorruptFile, ImportedItem, ImportRead, ItemBuilder, Skipped, fingerprint, from_iso
from ._csv import decode, rows


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


#: The four columns and the field each stands for when the item's type has it.
_CSV_COLUMNS = (("username", "username"), ("password", "password"), ("url", "website"),
                ("otp", "one_time_password"))  # fmt: skip


def read_csv(data: bytes) -> ImportRead:
    """Safehold's CSV export (docs/cli.md): ``fields`` (a JSON object by label) is read
    first; a value in one of the four columns that is not already one of the item's fields
    goes to the field that column stands for (or a custom field of the column's name)."""
    result = ImportRead("safehold-csv")
    _, body = rows(decode(data))
    for row in body:
        where = f"line {row.line}"
        source_id = row.get("id") or fingerprint(row.get("title"), row.get("url"), row.get("username"))
        builder = ItemBuilder(row.get("type") or "login", row.get("title"), source_format="safehold-csv",
                              source_id=source_id)  # fmt: skip
        raw = row.get("fields")
        try:
            extra = json.loads(raw) if raw.strip() else {}
        except ValueError:
            extra = None
        if not isinstance(extra, dict):
            builder.custom("Fields", raw)  # not the JSON object it should be: kept as it is
            extra = {}
        for label, value in extra.items():
            builder.labelled(str(label), value if isinstance(value, str) else json.dumps(value))
        for column, key in _CSV_COLUMNS:
            value = row.get(column)
            if not value or value in builder.data["fields"].values():
                continue
            if key in builder.keys and key not in builder.data["fields"]:
                builder.set(key, value)
            else:
                builder.custom(column.capitalize(), value)
        builder.note(row.get("notes"))
        builder.tag(*row.get("tags").split(","))
        builder.data["favorite"] = row.get("favorite").strip() in ("1", "true")
        builder.times(from_iso(row.get("created")), from_iso(row.get("modified")))
        try:
            result.items.append(builder.build())
        except ItemError as exc:
            result.skipped.append(Skipped(where, str(exc)))
            continue
        for problem in builder.problems:
            result.skipped.append(Skipped(where, problem))
    return result
