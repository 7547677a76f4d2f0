"""What the importer tests share (tests/unit/interop/test_importers*.py): the fixtures, items
by title, and the property every reader keeps."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from safehold.client.items import Item
from safehold.interop.importers import ImportFailure, ImportRead

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"


def by_title(read: ImportRead) -> dict[str, dict[str, Any]]:
    out = {}
    for imported in read.items:
        Item.from_json(imported.item)  # every imported item is a valid item
        out[imported.item["title"]] = imported.item
    return out


def custom_fields(item: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {c["name"]: (c["kind"], c["value"]) for c in item["custom"]}


def reads_or_refuses(reader: Callable[[bytes], ImportRead], data: bytes) -> None:
    """A reader given anything either fails with a clear import error or returns valid items."""
    try:
        read = reader(data)
    except ImportFailure:
        return
    for imported in read.items:
        Item.from_json(imported.item)
