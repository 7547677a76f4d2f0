"""Each importer against a fixture written from its format's documentation
(tests/fixtures/import/), with the quirks real exports have; detection; and a property test
that no input makes a reader fail with anything but a clear import error."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes, padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDFExpand
from cryptography.hazmat.primitives.kdf.pbkdf2 import PBKDF2HMAC
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.importers import FIXTURES, by_title, custom_fields, reads_or_refuses

from safehold.interop.importers import (
    CorruptFile,
    ImportFailure,
    UnknownFormat,
    WrongFilePassword,
    bitwarden,
    browsers,
    detect,
    keepass,
    read_file,
)


def test_bitwarden_json() -> None:
    read = read_file(FIXTURES / "bitwarden.json", None)
    assert read.format == "bitwarden-json"
    items = by_title(read)
    github = items["GitHub"]
    assert github["type"] == "login" and github["favorite"] is True and github["tags"] == ["Work"]
    assert github["fields"]["username"] == "ann" and github["fields"]["password"] == "hunter3"
    assert github["fields"]["website"] == "https://github.com/login"
    assert github["fields"]["one_time_password"].startswith("otpauth://totp/")
    custom = custom_fields(github)
    assert custom["Recovery codes"] == ("hidden", "aaaa-bbbb")
    assert custom["Team"] == ("text", "platform")
    assert custom["2FA enforced"][1] == "true"
    assert custom["Login name again"][1] == "ann"  # a linked field takes the value it links to
    assert custom["Website 2"] == ("url", "https://gist.github.com")
    assert github["history"] == [{"field": "password", "value": "hunter2", "changed": "2023-01-02T03:04:05Z"}]
    assert github["created"] == "2022-06-01T10:00:00Z" and github["modified"] == "2023-01-02T03:04:05Z"
    assert github["notes"] == "work account\nsecond line"
    assert github["import_source"] == {
        "format": "bitwarden-json",
        "id": "a0000001-0000-4000-8000-000000000001",
    }
    visa = items["Visa"]
    assert visa["type"] == "credit_card" and visa["tags"] == ["Home"]
    assert (
        visa["fields"]["card_number"] == "4111111111111111" and visa["fields"]["expiration_date"] == "04/2030"
    )
    me = items["Me"]
    assert me["type"] == "identity" and me["fields"]["first_name"] == "Ann"
    assert me["fields"]["address"] == "1 Main St\nFlat 2"
    assert custom_fields(me)["Ssn"] == ("text", "000-00-0000")
    key = items["Deploy key"]
    assert custom_fields(key)["Private key"][0] == "hidden" and "SSH key" in key["tags"]
    assert items["Door code"]["type"] == "secure_note" and items["Door code"]["notes"] == "4711"
    # One bad item is skipped with its reason; it never stops the rest.
    assert [s.source for s in read.skipped] == ["item 6", "item 7 'Bad'"]


def _bw_encrypt(text: bytes, enc: bytes, mac: bytes) -> str:
    iv = os.urandom(16)
    padder = padding.PKCS7(128).padder()
    encryptor = Cipher(algorithms.AES(enc), modes.CBC(iv)).encryptor()
    data = encryptor.update(padder.update(text) + padder.finalize()) + encryptor.finalize()
    tag = hmac.new(mac, iv + data, hashlib.sha256).digest()
    return "2." + "|".join(base64.b64encode(p).decode() for p in (iv, data, tag))


def _protected(tmp_path: Path, password: str, iterations: int = 5000) -> Path:
    """A password-protected export as Bitwarden documents it (PBKDF2-SHA256, then HKDF-expanded
    AES-256-CBC + HMAC-SHA256 keys), made here with pyca/cryptography."""
    salt = "c2FsdHNhbHRzYWx0"
    master = PBKDF2HMAC(hashes.SHA256(), 32, salt.encode(), iterations).derive(password.encode())
    enc = HKDFExpand(hashes.SHA256(), 32, b"enc").derive(master)
    mac = HKDFExpand(hashes.SHA256(), 32, b"mac").derive(master)
    inner = (FIXTURES / "bitwarden.json").read_bytes()
    doc = {
        "encrypted": True, "passwordProtected": True, "salt": salt, "kdfType": 0, "kdfIterations": iterations,
        "encKeyValidation_DO_NOT_EDIT": _bw_encrypt(b"validation", enc, mac),
        "data": _bw_encrypt(inner, enc, mac),
    }  # fmt: skip
    path = tmp_path / "protected.json"
    path.write_text(json.dumps(doc))
    return path


def test_bitwarden_password_protected_json(tmp_path: Path) -> None:
    path = _protected(tmp_path, "export pw")
    read = read_file(path, None, file_password=lambda: "export pw")
    assert "GitHub" in by_title(read)
    with pytest.raises(WrongFilePassword):
        read_file(path, None, file_password=lambda: "wrong")
    with pytest.raises(WrongFilePassword):
        read_file(path, None)


def test_bitwarden_kdf_below_the_floor_is_refused(tmp_path: Path) -> None:
    path = _protected(tmp_path, "pw", iterations=1000)
    with pytest.raises(CorruptFile, match="iterations is refused"):
        read_file(path, None, file_password=lambda: "pw")


def test_bitwarden_csv() -> None:
    read = read_file(FIXTURES / "bitwarden.csv", None)
    items = by_title(read)
    github = items["GitHub"]
    assert github["favorite"] and github["tags"] == ["Work"] and github["fields"]["password"] == "pw1"
    assert custom_fields(github) == {"Team": ("text", "platform"), "PIN": ("hidden", "1234")}
    assert items["Door"]["type"] == "secure_note"


def test_chrome_android_entries_crlf_and_multiline_cells() -> None:
    read = read_file(FIXTURES / "chrome.csv", None)
    assert read.format == "chrome-csv"
    items = by_title(read)
    assert items["Example"]["notes"] == "a note\r\nover two lines"
    app = items["com.example.app"]
    assert custom_fields(app)["Android app"][1] == "com.example.app" and "website" not in app["fields"]
    assert items["Bank"]["fields"]["password"] == 'pa,ss"word'


def test_firefox_times_and_its_own_account_row() -> None:
    read = read_file(FIXTURES / "firefox.csv", None)
    items = by_title(read)
    example = items["example.com"]
    assert example["created"] == "2023-11-14T22:13:20Z" and example["modified"] == "2023-11-14T22:16:40Z"
    assert example["import_source"]["id"] == "{aaaaaaaa-0000-4000-8000-000000000001}"
    assert custom_fields(items["intranet.example"])["HTTP realm"][1] == "Intranet realm"
    assert [s.reason for s in read.skipped] == ["Firefox's own account sign-in, not a website"]


def test_safari_keeps_otp() -> None:
    items = by_title(read_file(FIXTURES / "safari.csv", None))
    assert items["example.com (ann)"]["fields"]["one_time_password"].startswith("otpauth://")


def test_keepassxc_csv_groups_become_tags() -> None:
    items = by_title(read_file(FIXTURES / "keepassxc.csv", None))
    assert items["GitHub"]["tags"] == ["Work/Dev"] and items["Bank"]["tags"] == []
    assert items["GitHub"]["created"] == "2022-05-01T10:00:00Z"


def test_keepass2_csv_in_latin1() -> None:
    items = by_title(read_file(FIXTURES / "keepass2.csv", None))
    assert items["Mail"]["notes"] == "café"


def _kdbx(tmp_path: Path) -> Path:
    from pykeepass import create_database

    path = tmp_path / "db.kdbx"
    db = create_database(str(path), password="kdbx pw")
    work = db.add_group(db.root_group, "Work")
    main = db.add_entry(work, "GitHub", "ann", "pw-old", url="https://github.com", notes="n")
    main.save_history()
    main.password = "pw-new"
    main.otp = "otpauth://totp/GitHub:ann?secret=JBSWY3DPEHPK3PXP&issuer=GitHub"
    main.set_custom_property("Recovery", "r-1", protect=True)
    main.set_custom_property("Team", "platform")
    seed = db.add_entry(db.root_group, "Seeded", "bob", "pw2")
    seed.set_custom_property("TOTP Seed", "JBSWY3DPEHPK3PXP")
    seed.set_custom_property("TOTP Settings", "30;6")
    plugin = db.add_entry(db.root_group, "Plugin", "cy", "pw3")
    plugin.set_custom_property("TimeOtp-Secret-Base32", "JBSWY3DPEHPK3PXP")
    ref = db.add_entry(db.root_group, "Alias", "dee", "{REF:P@I:" + main.uuid.hex.upper() + "}")
    ref.tags = ["shared"]
    trash = db.add_entry(db.root_group, "Thrown away", "x", "y")
    db.trash_entry(trash)
    db.save()
    return path


def test_kdbx_totp_spellings_references_history_and_groups(tmp_path: Path) -> None:
    path = _kdbx(tmp_path)
    read = read_file(path, None, file_password=lambda: "kdbx pw")
    assert read.format == "kdbx"
    items = by_title(read)
    github = items["GitHub"]
    assert github["tags"] == ["Work"] and github["fields"]["password"] == "pw-new"
    assert github["fields"]["one_time_password"].startswith("otpauth://")
    assert custom_fields(github)["Recovery"] == ("hidden", "r-1") and custom_fields(github)["Team"] == (
        "text",
        "platform",
    )
    assert [h["value"] for h in github["history"]] == ["pw-old"]
    assert items["Seeded"]["fields"]["one_time_password"] == "JBSWY3DPEHPK3PXP"
    assert items["Plugin"]["fields"]["one_time_password"] == "JBSWY3DPEHPK3PXP"
    assert items["Alias"]["fields"]["password"] == "pw-new" and items["Alias"]["tags"] == ["shared"]
    assert "Thrown away" not in items
    with pytest.raises(WrongFilePassword):
        read_file(path, None, file_password=lambda: "nope")


def test_detection_and_bad_input(tmp_path: Path) -> None:
    for name, fmt in [("bitwarden.json", "bitwarden-json"), ("chrome.csv", "chrome-csv"),
                      ("firefox.csv", "firefox-csv"), ("safari.csv", "safari-csv"),
                      ("keepassxc.csv", "keepassxc-csv"), ("keepass2.csv", "keepass2-csv"),
                      ("bitwarden.csv", "bitwarden-csv")]:  # fmt: skip
        path = FIXTURES / name
        assert detect(path, path.read_bytes()[:4096]) == fmt, name
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(UnknownFormat, match="bitwarden-json"):
        read_file(odd, None)
    with pytest.raises(UnknownFormat, match="unknown format"):
        read_file(odd, "nonsense")
    with pytest.raises(UnknownFormat, match="safehold restore"):
        read_file(odd, "safehold-backup")
    truncated = tmp_path / "t.json"
    truncated.write_bytes((FIXTURES / "bitwarden.json").read_bytes()[:500])
    with pytest.raises(CorruptFile, match="truncated"):
        read_file(truncated, None)
    with pytest.raises(ImportFailure, match="no such file"):
        read_file(tmp_path / "missing.csv", None)


READERS = [bitwarden.read_csv, browsers.read_chrome, browsers.read_firefox, browsers.read_safari,
           keepass.read_keepassxc_csv, keepass.read_keepass2_csv, bitwarden.read_json]  # fmt: skip


@pytest.mark.parametrize("reader", READERS, ids=lambda r: f"{r.__module__.rsplit('.', 1)[-1]}.{r.__name__}")
@settings(max_examples=150, deadline=None)
@given(data=st.one_of(st.binary(max_size=400), st.text(max_size=300).map(str.encode)))
def test_no_input_crashes_a_reader(reader: Any, data: bytes) -> None:
    reads_or_refuses(reader, data)
