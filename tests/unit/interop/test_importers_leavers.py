"""The importers for mSecure 6 and 5, 1Password (1PUX and CSV) and LastPass, each against a
fixture written by hand from the format's documentation (tests/fixtures/import/), with the
quirks real exports have; detection from content; the 1PUX zip limits; and a property test
that no input makes one of these readers fail with anything but a clear import error."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.importers import FIXTURES, by_title, custom_fields, reads_or_refuses

from safehold.client.items import Item
from safehold.interop.importers import (
    CorruptFile,
    ImportFailure,
    detect,
    lastpass,
    msecure,
    onepassword,
    read_file,
)


def _1pux(tmp_path: Path, data: bytes | None = None) -> Path:
    path = tmp_path / "export.1pux"
    source = FIXTURES / "1password-1pux"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(source / "export.attributes", "export.attributes")
        if data is None:
            archive.write(source / "export.data", "export.data")
        else:
            archive.writestr("export.data", data)
    return path


def test_msecure6_templates_map_one_to_one_and_its_quirks() -> None:
    read = read_file(FIXTURES / "msecure6.csv", None)
    assert read.format == "msecure6-csv"
    items = by_title(read)
    github = items["GitHub"]
    assert github["type"] == "login" and github["tags"] == ["Work", "Dev"]
    # a value holding "|" keeps it: only the first two "|" of a cell separate
    assert github["fields"]["password"] == "pa|ss||word"
    assert github["fields"]["website"] == "https://github.com/login"
    assert github["fields"]["one_time_password"].startswith("otpauth://totp/")
    assert github["notes"] == "first line\nsecond line"  # a literal \n is a line break
    assert custom_fields(github) == {"Recovery codes": ("hidden", "aaaa-bbbb")}
    assert github["import_source"] == {"format": "msecure6-csv", "id": "1401978655"}
    visa = items["Visa"]
    assert visa["type"] == "credit_card" and visa["custom"] == []
    assert visa["fields"] == {
        "card_number": "4111111111111111", "expiration_date": "05/2030", "security_code": "123",
        "name_on_card": "Ann Example", "pin": "4321", "issuing_bank": "Example Bank",
    }  # fmt: skip
    savings = items["Savings"]
    assert savings["type"] == "bank_account" and savings["fields"]["phone"] == "+44 20 7946 0000"
    assert custom_fields(savings) == {"IBAN": ("text", "GB00EXMP00000012345678")}  # nothing dropped
    assert (
        items["Gym locker"]["type"] == "combination" and items["Gym locker"]["fields"]["code"] == "12-34-56"
    )
    assert items["Home Wi-Fi"]["type"] == "wifi" and items["Home Wi-Fi"]["fields"]["security"] == "WPA3"
    assert items["Door code"]["type"] == "secure_note"
    bike = custom_fields(items["Bike"])  # a template of the person's own: a note with every field
    assert bike["mSecure type"] == ("text", "Bicycle") and bike["Lock code"] == ("hidden", "0000")
    assert [(s.source, s.reason) for s in read.skipped] == [
        ("line 9", "not an mSecure record (fewer than two cells)")
    ]


def test_msecure5_positional_fields_latin1_and_crlf() -> None:
    read = read_file(FIXTURES / "msecure5-windows.csv", None)
    assert read.format == "msecure5-csv"
    items = by_title(read)
    cafe = items["Café login"]  # Windows latin-1
    assert cafe["fields"] == {
        "website": "https://cafe.example",
        "username": "anne",
        "password": "mot de passe é",
    }
    assert cafe["notes"] == "note with, a comma\r\nand a second line" and cafe["tags"] == ["Personal"]
    intranet = items["Intranet"]
    assert intranet["tags"] == []  # "Unassigned" is no group
    assert custom_fields(intranet) == {"ID": ("text", "ID-7"), "Policy": ("text", "Policy B")}
    assert items["Visa"]["fields"]["security_code"] == "123" and items["Visa"]["fields"]["pin"] == "4321"
    assert items["Savings"]["fields"]["branch"] == "High St"
    assert items["Door code"]["notes"] == "4711"
    car = custom_fields(items["Car"])
    assert car["mSecure type"] == ("text", "Vehicle Info") and car["VIN"] == ("text", "WVW000000")
    permit = custom_fields(items["River permit"])
    assert permit["Field 1"] == ("text", "FL-0001") and permit["Field 2"] == ("text", "2025-12-31")
    assert custom_fields(items["Extra fields"]) == {
        "Field 4": ("text", "spare one"),
        "Field 5": ("text", "spare two"),
    }
    assert read.skipped == []


def test_msecure5_mac_vertical_tabs_are_line_breaks() -> None:
    items = by_title(read_file(FIXTURES / "msecure5-mac.csv", None))
    assert items["Mac login"]["notes"] == "first line\nsecond line"
    assert items["Mac login"]["fields"]["password"] == "pw"
    assert items["Recipe"]["notes"] == "flour\nwater\nsalt"


def test_lastpass_logins_secure_notes_and_nested_groups() -> None:
    read = read_file(FIXTURES / "lastpass.csv", None)
    assert read.format == "lastpass-csv"
    items = by_title(read)
    github = items["GitHub"]
    assert github["favorite"] is True and github["tags"] == ["Work/Dev"]
    assert github["fields"]["one_time_password"] == "JBSWY3DPEHPK3PXP"
    assert github["notes"] == "work account\nsecond line"
    visa = items["Visa"]
    assert visa["type"] == "credit_card" and visa["tags"] == ["Finance"]
    assert visa["fields"] == {"name_on_card": "Ann Example", "card_number": "4111111111111111",
                              "security_code": "123", "expiration_date": "2030-06"}  # fmt: skip
    assert custom_fields(visa) == {"Card type": ("text", "Visa"), "Start Date": ("text", "2024-01")}
    assert visa["notes"] == "first note line\nNotes: are not keys here"
    me = items["Me"]
    assert me["type"] == "identity" and me["fields"]["address"] == "1 Main St\nFlat 2"
    assert me["fields"]["email"] == "ann@example.org" and me["fields"]["home_phone"] == "+44 20 7946 0000"
    assert custom_fields(me)["Zip / Postal Code"] == ("text", "AB1 2CD")
    wifi = items["Home Wi-Fi"]
    assert wifi["type"] == "wifi" and wifi["tags"] == ["Home/Network/Upstairs"]
    assert wifi["fields"] == {"network_name": "home-5g", "password": "wpa pass", "security": "WPA3"}
    key = custom_fields(items["Deploy key"])
    assert key["LastPass type"] == ("text", "SSH Key")
    assert key["Private Key"] == ("hidden", "-----BEGIN KEY-----\nabc\n-----END KEY-----")
    assert key["Public Key"][0] == "text" and key["Passphrase"][0] == "hidden"
    assert items["Door"]["type"] == "secure_note" and items["Door"]["notes"].startswith("Door code is 4711")


def test_1pux_categories_objects_archived_and_history(tmp_path: Path) -> None:
    path = _1pux(tmp_path)
    assert detect(path, path.read_bytes()[:4096]) == "1password-1pux"
    read = read_file(path, None)
    assert read.format == "1password-1pux"
    items = by_title(read)
    github = items["GitHub"]
    assert github["favorite"] is True and github["tags"] == ["Personal", "work", "dev"]
    assert github["fields"] == {
        "username": "ann", "password": "pw-new", "website": "https://github.com/login",
        "one_time_password": "otpauth://totp/GitHub:ann?secret=JBSWY3DPEHPK3PXP&issuer=GitHub",
    }  # fmt: skip
    custom = custom_fields(github)
    assert custom["Recovery codes"] == ("hidden", "aaaa-bbbb")
    assert custom["Backup email"] == ("text", "ann@example.net")  # an object value, read by its parts
    assert custom["Signed in with"] == ("text", "provider: Google\naccount: ann@gmail.example")
    assert custom["Website 2"] == ("url", "https://gist.github.com") and custom["Renewal"][1] == "2025-01-01"
    assert custom["remember"] == ("text", "yes") and "submit" not in custom
    assert github["history"] == [{"field": "password", "value": "pw-old", "changed": "2022-04-15T05:20:00Z"}]
    assert github["created"] == "2020-09-13T12:26:40Z" and github["modified"] == "2023-11-14T22:13:20Z"
    visa = items["Old Visa"]
    assert visa["type"] == "credit_card" and "Archived" in visa["tags"]  # archived items are kept
    assert visa["fields"]["expiration_date"] == "2030-05"
    assert visa["fields"]["billing_address"] == "1 Main St\nTown\nAB1 2CD\nuk"
    key = custom_fields(items["Deploy key"])
    assert key["Private key"][0] == "hidden" and key["Public key"] == ("text", "ssh-ed25519 AAAA")
    assert (
        items["Home Wi-Fi"]["tags"] == ["Shared"] and items["Home Wi-Fi"]["fields"]["password"] == "wpa pass"
    )
    assert [s.reason for s in read.skipped] == [
        "its attached file 'passport.pdf' is not imported (files are not items)",
        "not an object",
    ]
    assert "Passport scan" in items  # the document's item is kept; only its file is not


def test_1pux_zip_limits_and_damage(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(onepassword, "MAX_DATA_BYTES", 10_000)
    bomb = _1pux(tmp_path, b"{" + b" " * 50_000 + b"}")
    with pytest.raises(CorruptFile, match="expand past"):
        read_file(bomb, "1password-1pux")
    monkeypatch.undo()
    truncated = tmp_path / "t.1pux"
    truncated.write_bytes(_1pux(tmp_path).read_bytes()[:200])
    with pytest.raises(CorruptFile):
        read_file(truncated, None)
    no_data = tmp_path / "other.zip"
    with zipfile.ZipFile(no_data, "w") as archive:
        archive.writestr("readme.txt", "hi")
    with pytest.raises(ImportFailure, match="zip archive of no format"):
        read_file(no_data, None)
    with pytest.raises(CorruptFile, match=r"no export\.data"):
        read_file(no_data, "1password-1pux")
    bad_json = _1pux(tmp_path, b'{"accounts": [')
    with pytest.raises(CorruptFile, match="not valid JSON"):
        read_file(bad_json, None)


def test_1password_csv() -> None:
    read = read_file(FIXTURES / "1password.csv", None)
    assert read.format == "1password-csv"
    items = by_title(read)
    assert items["GitHub"]["favorite"] is True and items["GitHub"]["tags"] == ["work", "dev"]
    assert items["GitHub"]["notes"] == "line 1\r\nline 2"
    assert items["GitHub"]["fields"]["one_time_password"].startswith("otpauth://")
    assert items["Old forum"]["tags"] == ["Archived"]
    assert items["Bank"]["fields"]["password"] == 'pa,ss"word'


def test_detection_of_each_new_format() -> None:
    for name, fmt in [("msecure6.csv", "msecure6-csv"), ("msecure5-windows.csv", "msecure5-csv"),
                      ("msecure5-mac.csv", "msecure5-csv"), ("lastpass.csv", "lastpass-csv"),
                      ("1password.csv", "1password-csv"), ("safari.csv", "safari-csv")]:  # fmt: skip
        path = FIXTURES / name
        assert detect(path, path.read_bytes()[:4096]) == fmt, name


def test_msecure6_without_its_marker_line_is_still_detected(tmp_path: Path) -> None:
    path = tmp_path / "m.csv"
    path.write_bytes(b"".join((FIXTURES / "msecure6.csv").read_bytes().splitlines(keepends=True)[1:]))
    assert detect(path, path.read_bytes()[:4096]) == "msecure6-csv"
    assert "GitHub" in by_title(read_file(path, None))


def _1pux_bytes(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("export.data", data)
    return buffer.getvalue()


READERS = [msecure.read_v6, msecure.read_v5, lastpass.read_csv, onepassword.read_csv,
           onepassword.read_1pux, lambda data: onepassword.read_1pux(_1pux_bytes(data))]  # fmt: skip


@pytest.mark.parametrize("reader", READERS, ids=["msecure6", "msecure5", "lastpass", "1password-csv",
                                                 "1pux-raw", "1pux-zipped"])  # fmt: skip
@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=300).map(str.encode)))
def test_no_input_crashes_a_reader(reader: Any, data: bytes) -> None:
    reads_or_refuses(reader, data)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=5),
    max_leaves=30,
)


@settings(max_examples=150, deadline=None)
@given(item=st.dictionaries(
    st.sampled_from(["uuid", "favIndex", "createdAt", "updatedAt", "state", "categoryUuid", "details",
                     "overview"]), json_values, max_size=8))  # fmt: skip
def test_no_1pux_item_crashes_the_reader(item: dict[str, Any]) -> None:
    import json

    doc = {"accounts": [{"vaults": [{"attrs": {"name": "V"}, "items": [item]}]}]}
    read = onepassword.read_1pux(_1pux_bytes(json.dumps(doc).encode()))
    for imported in read.items:
        Item.from_json(imported.item)
