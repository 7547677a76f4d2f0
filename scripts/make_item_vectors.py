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
    ("a bank account", _item("bank_account", "Savings", fields={
        "account_number": "12345678", "pin": "9876", "name": "Jo Doe", "branch": "High St",
        "routing_number": "021000021", "account_type": "savings", "phone": "+44 20 7946 0000"})),
    ("an identity with a multi-line address", _item("identity", "Me", fields={
        "first_name": "Jo", "last_name": "Doe", "address": "1 Main St\nFlat 2\nTown",
        "email": "jo@example.org", "birthday": "1990-02-28", "mobile_phone": "+1 555 0100"})),
    ("a server with two hidden fields", _item("server", "db1", fields={
        "hostname": "db1.example", "port": "5432", "username": "root", "password": "p1",
        "admin_url": "https://db1.example/admin", "admin_username": "admin", "admin_password": "p2"})),
    ("a Wi-Fi network", _item("wifi", "Home", fields={
        "network_name": "home-5g", "password": "wpa pass", "security": "WPA3"})),
    ("a passport with dates", _item("passport", "Passport", fields={
        "number": "X1234567", "full_name": "Jo Doe", "date_of_birth": "1990-02-28",
        "issue_date": "2020-01-01", "expiration_date": "2030-01-01", "issuing_country": "UK"})),
    ("a software licence", _item("software_licence", "Editor", fields={
        "licence_key": "AAAA-BBBB-CCCC", "version": "3", "licensed_to": "Jo", "email": "jo@example.org"})),
    ("a custom field of every kind", _item("secure_note", "Kinds", custom=[
        {"name": "Text", "kind": "text", "value": "plain"},
        {"name": "Hidden", "kind": "hidden", "value": "masked"},
        {"name": "Link", "kind": "url", "value": "https://example.com/x"},
        {"name": "When", "kind": "date", "value": "2024-05-01"},
        {"name": "Code", "kind": "totp", "value": "JBSWY3DPEHPK3PXP"}])),
    ("history of a template field and of a custom field, oldest first", _item(
        "login", "History", fields={"password": "three"},
        custom=[{"name": "PIN", "kind": "hidden", "value": "3333"}],
        history=[{"field": "password", "value": "one", "changed": T0},
                 {"field": "PIN", "value": "1111", "changed": T0},
                 {"field": "password", "value": "two", "changed": T1}], modified=T1)),
    ("an item of a user-defined type", _item("gym", "My gym", fields={"locker": "12"})),
    ("a field the type does not list is kept", _item(
        "login", "Extra key", fields={"username": "jo", "backup_password": "b"})),
    ("non-ASCII text is written as itself", _item(
        "secure_note", "日本語 ✓", notes="emoji 🔑, accents é, Cyrillic Ж", tags=["naïve"])),
    ("only the required keys: the rest take their defaults", {
        "v": 1, "type": "login", "title": "Bare", "created": T0, "modified": T0}),
    ("a time with another offset is written in UTC", _item(
        "login", "Offset", created="2024-05-01T14:00:00+02:00", modified="2024-05-01T14:00:00+02:00")),
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
    ("version as a boolean", {**_item("login", "x"), "v": True}),
    ("no title", {k: v for k, v in _item("login", "x").items() if k != "title"}),
    ("no created time", {k: v for k, v in _item("login", "x").items() if k != "created"}),
    ("fields is a list", {**_item("login", "x"), "fields": [["username", "jo"]]}),
    ("custom is an object", {**_item("login", "x"), "custom": {"PIN": "1234"}}),
    ("tags is a string", {**_item("login", "x"), "tags": "work"}),
    ("notes is a number", {**_item("login", "x"), "notes": 7}),
    ("a custom field's value is a number",
     {**_item("login", "x"), "custom": [{"name": "PIN", "kind": "hidden", "value": 1234}]}),
    ("a history entry without a time",
     {**_item("login", "x"), "history": [{"field": "password", "value": "old"}]}),
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
    local = copy.deepcopy(base)
    local["trashed_at"] = T2
    local["modified"] = T2
    remote = copy.deepcopy(base)
    remote["fields"]["username"] = "jo2"
    remote["modified"] = T1
    cases.append(_merge_case("put in the trash on one side, edited on the other: the edit keeps it out",
                             base, local, remote))
    local = copy.deepcopy(base)
    local["custom"] = [{"name": "PIN", "kind": "hidden", "value": "1"}]
    remote = copy.deepcopy(base)
    remote["custom"] = [{"name": "Door", "kind": "text", "value": "2"}]
    cases.append(_merge_case("custom fields added on both sides are both kept", base, local, remote))
    local = copy.deepcopy(base)
    local["fields"]["password"] = "two"
    local["history"] = [{"field": "password", "value": "one", "changed": T1}]
    remote = copy.deepcopy(base)
    remote["fields"]["password"] = "two"
    remote["history"] = [{"field": "password", "value": "one", "changed": T2}]
    cases.append(_merge_case("the same password change on both sides keeps one history entry",
                             base, local, remote))
    local = copy.deepcopy(base)
    local["notes"] = "local note"
    remote = copy.deepcopy(base)
    remote["notes"] = "remote note"
    remote["favorite"] = True
    cases.append(_merge_case("notes changed on both sides keep a copy; the favourite still merges",
                             base, local, remote))
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
