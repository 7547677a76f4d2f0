"""The kdbx export: every kind of item goes out and comes back through our own kdbx reader
as the same item (type, fields, custom fields, tags, notes, times and every old value in
history); the real keepassxc-cli opens the file and sees the entries, their attributes and
their history; names KeePass reserves or that hold quotes, and text XML cannot hold, are
written without failing the export."""

from __future__ import annotations

import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from safehold.interop.export import ExportItem, export_items
from safehold.interop.importers import read_file

KDBX_PASSWORD = "correct horse battery staple 7"
T0, T1, T2 = "2023-01-01T10:00:00Z", "2023-06-01T10:00:00Z", "2024-02-01T10:00:00Z"


def _item(type_: str, title: str, **extra: Any) -> dict[str, Any]:
    value: dict[str, Any] = {
        "v": 1, "type": type_, "title": title, "fields": {}, "custom": [], "tags": [],
        "favorite": False, "notes": "", "created": T0, "modified": T2, "history": [],
    }  # fmt: skip
    value.update(extra)
    return value


ITEMS = [
    ExportItem("a" * 32, _item(
        "login", "GitHub",
        fields={"website": "https://github.com", "username": "ann", "password": "pw-3",
                "one_time_password": "otpauth://totp/GitHub:ann?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"},
        custom=[{"name": "PIN", "kind": "hidden", "value": "4321"},
                {"name": "Team", "kind": "text", "value": "platform"},
                {"name": 'Say "hi"', "kind": "text", "value": "quoted name"},
                {"name": "UserName", "kind": "text", "value": "a custom field named as KeePass's own"}],
        tags=["work", "dev"], notes="line 1\nline 2",
        history=[{"field": "password", "value": "pw-1", "changed": T0},
                 {"field": "password", "value": "pw-2", "changed": T1},
                 {"field": "PIN", "value": "1234", "changed": T1}],
    )),
    ExportItem("b" * 32, _item(
        "credit_card", "Visa",
        fields={"card_number": "4111111111111111", "expiration_date": "2030-05", "security_code": "123",
                "name_on_card": "Ann Example", "pin": "9876"},
        history=[{"field": "pin", "value": "0000", "changed": T1}],
    )),
    ExportItem("c" * 32, _item("secure_note", "Door", notes="4711 \u00fcn\u00efcode")),
    ExportItem("d" * 32, _item("wifi", "Home", fields={"network_name": "home-5g", "password": "wpa"},
                               tags=["home"])),
]  # fmt: skip


def _export(tmp_path: Path) -> Path:
    target = tmp_path / "vault.kdbx"
    assert export_items(ITEMS, target, "kdbx", file_password=KDBX_PASSWORD) == len(ITEMS)
    return target


def _comparable(item: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in item.items() if k not in ("import_source",)}
    out["history"] = sorted((h["field"], h["value"], h["changed"]) for h in item["history"])
    out["custom"] = sorted((c["name"], c["kind"], c["value"]) for c in item["custom"])
    out["tags"] = sorted(item["tags"])
    return out


def test_every_item_comes_back_the_same_through_our_reader(tmp_path: Path) -> None:
    read = read_file(_export(tmp_path), None, file_password=lambda: KDBX_PASSWORD)
    assert read.skipped == []
    back = {i.item["import_source"]["id"]: i.item for i in read.items}
    assert set(back) == {it.item_id for it in ITEMS}
    for it in ITEMS:
        got = _comparable(back[it.item_id])
        want = _comparable(it.data)
        if it.data["title"] == "GitHub":
            # KeePass reserves "UserName": the custom field of that name is kept under a new one
            renamed = ("UserName (2)", "text", "a custom field named as KeePass's own")
            want["custom"] = sorted([*(c for c in want["custom"] if c[0] != "UserName"), renamed])
        assert got == want, it.data["title"]


def test_xml_invalid_text_does_not_fail_the_export(tmp_path: Path) -> None:
    odd = [ExportItem("e" * 32, _item("secure_note", "Odd", notes="vertical\x0btab and \x01 control"))]
    target = tmp_path / "odd.kdbx"
    export_items(odd, target, "kdbx", file_password=KDBX_PASSWORD)
    (item,) = read_file(target, None, file_password=lambda: KDBX_PASSWORD).items
    assert item.item["notes"] == "vertical\ufffdtab and \ufffd control"


@pytest.mark.skipif(shutil.which("keepassxc-cli") is None, reason="keepassxc-cli is not installed")
def test_keepassxc_cli_sees_entries_attributes_and_history(tmp_path: Path) -> None:
    target = _export(tmp_path)

    def keepassxc(*args: str) -> str:
        done = subprocess.run(["keepassxc-cli", *args], input=KDBX_PASSWORD + "\n", capture_output=True,
                              text=True, check=False)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stdout

    assert {"GitHub", "Visa", "Door", "Home"} <= {
        line.strip() for line in keepassxc("ls", "-q", str(target)).splitlines()
    }
    shown = keepassxc(
        "show", "-q", "-s", "-a", "UserName", "-a", "Password", "-a", "URL", str(target), "GitHub"
    )
    assert shown.splitlines() == ["ann", "pw-3", "https://github.com"]
    assert keepassxc("show", "-q", "-s", "-a", "PIN", str(target), "GitHub").strip() == "4321"
    assert keepassxc("show", "-q", "-s", "-a", 'Say "hi"', str(target), "GitHub").strip() == "quoted name"
    assert (
        keepassxc("show", "-q", "-s", "-a", "Card Number", str(target), "Visa").strip() == "4111111111111111"
    )
    root = ET.fromstring(keepassxc("export", "-q", "-f", "xml", str(target)))
    github = next(
        e for e in root.iter("Entry") if _string(e, "Title") == "GitHub" and e.find("History") is not None
    )
    old = [(_string(h, "Password"), _string(h, "PIN")) for h in github.find("History").findall("Entry")]
    assert old == [("pw-1", "4321"), ("pw-2", "4321"), ("pw-3", "1234")]


def _string(entry: ET.Element, key: str) -> str | None:
    for string in entry.findall("String"):
        if string.findtext("Key") == key:
            return string.findtext("Value")
    return None
