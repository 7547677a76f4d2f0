"""Regenerate spec/vectors/items-v1.json (spec/items.md) from fixed inputs.

Provenance: every case is written here by hand from spec/items.md; every expected output
(canonical bytes, what a reader reports, merge results) is computed by the Python client
(``safehold.client.items`` and ``safehold.client.merge``). The tests recompute the file and
fail on any difference, so a change to the item format shows up as a change to this file.

    python scripts/make_item_vectors.py            # rewrite the file
    python scripts/make_item_vectors.py --check    # exit 1 if the file is out of date
"""

from __future__ import annotations

import copy
import json
import sys
from pathlib import Path
from typing import Any

import vectorfile

from safehold.client.items import InvalidItem, Item
from safehold.client.merge import merge_items
from safehold.crypto import canonical_json

OUT = Path(__file__).resolve().parent.parent / "spec" / "vectors" / "items-v1.json"
T0, T1, T2 = "2024-05-01T12:00:00Z", "2024-05-02T08:30:00Z", "2024-05-03T09:00:00Z"


def _item(type_: str, title: str, **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "v": 1, "type": type_, "title": title, "fields": {}, "custom": [], "tags": [],
        "favorite": False, "notes": "", "created": T0, "modified": T0, "history": [],
    }  # fmt: skip
    value.update(extra)
    return value


VALID: list[tuple[str, dict[str, Any]]] = [
    ("a login with every kind of content", _item(
        "login", "Example",
        fields={"website": "https://example.com", "username": "jo", "password": "s3cret",
                "one_time_password": "otpauth://totp/Example:jo?secret=JBSWY3DPEHPK3PXP&issuer=Example"},
        custom=[{"name": "Recovery email", "kind": "text", "value": "jo@example.org"},
                {"name": "PIN", "kind": "hidden", "value": "1234"}],
        tags=["work", "Ünïcode"], favorite=True, notes="line one\nline two", modified=T1,
        history=[{"field": "password", "value": "old", "changed": T1}],
    )),
    ("a card", _item("credit_card", "Visa",
                     fields={"card_number": "4111111111111111", "expiration_date": "2030-01"})),
    ("a secure note with only notes", _item("secure_note", "Door code", notes="4711")),
    ("an unknown type is read with its stored fields", _item("rocket", "Saturn V", fields={"stage": "3"})),
    ("unknown top-level keys are kept", _item("login", "Future", future_key={"nested": [1, True, None]})),
    ("a conflict copy", _item(
        "login", "Example (conflict from laptop, 2024-05-02 08:30)",
        conflict_of="00112233445566778899aabbccddeeff", conflict_from="laptop", conflict_at=T1,
    )),
    ("an item in the trash", _item("login", "Old", trashed_at=T2)),
    ("an imported item", _item("login", "Imported", import_source={"format": "bitwarden-json", "id": "b1"})),
    ("a user-defined type", _item(
        "__template__", "Gym",
        template={"v": 1, "key": "gym", "label": "Gym",
                  "fields": [{"key": "locker", "label": "Locker", "kind": "text"}]},
    )),
    ("a time with a fraction", _item("login", "Precise", created="2024-05-01T12:00:00.123456Z",
                                     modified="2024-05-01T12:00:00.123456Z")),
]  # fmt: skip

INVALID: list[tuple[str, Any]] = [
    ("not an object", ["v", 1]),
    ("version 2", {**_item("login", "x"), "v": 2}),
    ("version as a string", {**_item("login", "x"), "v": "1"}),
    ("no type", {k: v for k, v in _item("login", "x").items() if k != "type"}),
    ("empty type", {**_item("login", "x"), "type": ""}),
    ("title is a number", {**_item("login", "x"), "title": 5}),
    ("a field value is a number", {**_item("login", "x"), "fields": {"username": 5}}),
    ("favorite is a string", {**_item("login", "x"), "favorite": "yes"}),
    ("a tag is an object", {**_item("login", "x"), "tags": [{"a": 1}]}),
    ("a custom field of an unknown kind",
     {**_item("login", "x"), "custom": [{"name": "a", "kind": "blob", "value": ""}]}),
    ("a custom field without a name", {**_item("login", "x"), "custom": [{"kind": "text", "value": "v"}]}),
    ("a time without a timezone", {**_item("login", "x"), "created": "2024-05-01T12:00:00"}),
    ("a time that is not a time", {**_item("login", "x"), "modified": "yesterday"}),
    ("a history entry without a value",
     {**_item("login", "x"), "history": [{"field": "password", "changed": T1}]}),
]  # fmt: skip


def _merge_case(
    name: str, base: dict[str, Any], local: dict[str, Any], remote: dict[str, Any]
) -> dict[str, Any]:
    result = merge_items(copy.deepcopy(base), copy.deepcopy(local), copy.deepcopy(remote))
    return {
        "name": name,
        "base": base,
        "local": local,
        "remote": remote,
        "merged": result.merged,
        "conflict_copy": bool(result.conflicts),
        "conflicts": result.conflicts,
    }


def _merges() -> list[dict[str, Any]]:
    base = _item("login", "Site", fields={"username": "jo", "password": "one"}, tags=["a"])
    cases = []
    local = copy.deepcopy(base)
    local["fields"]["username"] = "joanna"
    remote = copy.deepcopy(base)
    remote["fields"]["password"] = "two"
    cases.append(_merge_case("different fields on each side merge", base, local, remote))
    local = copy.deepcopy(base)
    local["fields"]["password"] = "local"
    remote = copy.deepcopy(base)
    remote["fields"]["password"] = "remote"
    cases.append(_merge_case("the same field on both sides keeps a copy", base, local, remote))
    local = copy.deepcopy(base)
    local["tags"] = ["a", "l"]
    remote = copy.deepcopy(base)
    remote["tags"] = ["a", "r"]
    cases.append(_merge_case("tags added on both sides are both kept", base, local, remote))
    local = copy.deepcopy(base)
    remote = copy.deepcopy(base)
    remote["title"] = "Site (renamed)"
    cases.append(_merge_case("an unchanged side takes the other", base, local, remote))
    return cases


def build() -> dict[str, Any]:
    valid = []
    for name, value in VALID:
        item = Item.from_json(value)
        written = item.to_json()
        valid.append({"name": name, "item": value, "canonical_hex": canonical_json(written).hex()})
    invalid = []
    for name, value in INVALID:
        try:
            Item.from_json(value)
        except InvalidItem as exc:
            invalid.append({"name": name, "item": value, "error": str(exc)})
        else:
            raise SystemExit(f"invalid vector {name!r} was accepted")
    return {
        "about": "spec/items.md vectors: 'valid' items MUST be read and written back as "
        "'canonical_hex' (canonical JSON, UTF-8); 'invalid' items MUST be refused ('error' is "
        "Python's message, informative only); 'merges' give base/local/remote and the merged "
        "item, and whether a conflict copy of the local version is kept. Generated by "
        "scripts/make_item_vectors.py.",
        "valid": valid,
        "invalid": invalid,
        "merges": _merges(),
    }


def render() -> str:
    return json.dumps(build(), indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def main() -> int:
    return vectorfile.run(OUT, render, description=__doc__.splitlines()[0], script="make_item_vectors.py")


if __name__ == "__main__":
    sys.exit(main())
