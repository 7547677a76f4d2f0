"""``safehold export`` through the CLI: every format, the warning and confirmation, file
modes, error paths, and round trips (safehold-json lossless; kdbx opened by the real
keepassxc-cli; bitwarden-json in Bitwarden's shape)."""

from __future__ import annotations

import csv
import functools
import io
import json
import shutil
import stat
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.cli.conftest import Run, as_json

from safehold.client.errors import ExitCode

PASSWORD = "maple quartz lantern 48 orbit"
KDBX_PASSWORD = "correct horse battery staple 7"


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    run: Run = functools.partial(cli, password=PASSWORD)
    made = run("A", "signup", "ann@example.com", "--json")
    assert made.exit_code == 0, made.output
    run = functools.partial(run, "A")
    for args in (
        ["add", "login", "--title", "GitHub", "-f", "username=ann", "-f", "password=hunter2",
         "-f", "website=https://github.com", "-f", "otp=JBSWY3DPEHPK3PXP", "--tag", "work",
         "--custom", "Recovery:hidden=r-e-c", "--notes", "line one\nline two", "--favorite"],
        ["add", "credit card", "--title", "Visa", "-f", "number=4111111111111111", "-f", "expiry=12/29"],
        ["add", "secure note", "--title", "Door", "--notes", "4711 — ünïcode"],
    ):  # fmt: skip
        assert run(*args).exit_code == 0
    assert run("edit", "GitHub", "-f", "password=hunter3").exit_code == 0
    yield run


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def _items(sh: Run) -> dict[str, dict[str, Any]]:
    listed = as_json(sh("list", "--json"))
    return {entry["title"]: as_json(sh("get", entry["id"], "--json")) for entry in listed}


def test_safehold_json_is_lossless_and_private(sh: Run, cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = sh("export", str(target), "--format", "safehold-json", "--yes", "--json")
    assert result.exit_code == 0, result.output
    assert as_json(result) == {"file": str(target), "format": "safehold-json", "items": 3, "encrypted": False}
    assert "UNENCRYPTED" in result.stderr
    assert _mode(target) == 0o600
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["format"] == "safehold-export" and document["version"] == 1
    exported = {entry["item"]["title"]: entry["item"] for entry in document["items"]}
    for title, item in _items(sh).items():
        item.pop("id", None)
        assert exported[title] == item
    assert exported["GitHub"]["history"][0]["value"] == "hunter2"


def test_csv_has_the_documented_columns(sh: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.csv"
    assert sh("export", str(target), "-F", "csv", "--yes").exit_code == 0
    rows = list(csv.DictReader(io.StringIO(target.read_text(encoding="utf-8"), newline="")))
    assert list(rows[0]) == [
        "id", "type", "title", "username", "password", "url", "otp", "notes", "tags", "favorite",
        "created", "modified", "fields",
    ]  # fmt: skip
    github = next(r for r in rows if r["title"] == "GitHub")
    assert (github["username"], github["password"], github["url"]) == ("ann", "hunter3", "https://github.com")
    assert github["otp"] == "JBSWY3DPEHPK3PXP" and github["tags"] == "work" and github["favorite"] == "1"
    assert github["notes"] == "line one\nline two"
    assert json.loads(github["fields"]) == {"Recovery": "r-e-c"}
    visa = next(r for r in rows if r["title"] == "Visa")
    assert json.loads(visa["fields"])["Card Number"] == "4111111111111111"


def test_bitwarden_json_has_bitwardens_shape(sh: Run, tmp_path: Path) -> None:
    target = tmp_path / "bw.json"
    assert sh("export", str(target), "-F", "bitwarden-json", "--yes").exit_code == 0
    document = json.loads(target.read_text(encoding="utf-8"))
    assert document["encrypted"] is False
    assert [f["name"] for f in document["folders"]] == ["work"]
    by_name = {item["name"]: item for item in document["items"]}
    github = by_name["GitHub"]
    assert github["type"] == 1 and github["favorite"] is True
    assert github["folderId"] == document["folders"][0]["id"]
    assert github["login"]["username"] == "ann" and github["login"]["password"] == "hunter3"
    assert github["login"]["uris"] == [{"match": None, "uri": "https://github.com"}]
    assert github["login"]["totp"] == "JBSWY3DPEHPK3PXP"
    assert {"name": "Recovery", "value": "r-e-c", "type": 1, "linkedId": None} in github["fields"]
    assert github["passwordHistory"][0]["password"] == "hunter2"
    visa = by_name["Visa"]
    assert visa["type"] == 3 and visa["card"]["number"] == "4111111111111111"
    assert by_name["Door"]["type"] == 2 and by_name["Door"]["notes"] == "4711 — ünïcode"


@pytest.mark.skipif(shutil.which("keepassxc-cli") is None, reason="keepassxc-cli is not installed")
def test_kdbx_opens_in_keepassxc(sh: Run, tmp_path: Path) -> None:
    target = tmp_path / "vault.kdbx"
    result = sh("export", str(target), "-F", "kdbx", "--file-password-stdin", input=KDBX_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "UNENCRYPTED" not in result.stderr
    assert _mode(target) == 0o600

    def keepassxc(*args: str) -> str:
        done = subprocess.run(
            ["keepassxc-cli", *args], input=KDBX_PASSWORD + "\n", capture_output=True, text=True, check=False
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    listing = keepassxc("ls", str(target))
    assert {"GitHub", "Visa", "Door"} <= {line.strip() for line in listing.splitlines()}
    shown = keepassxc("show", "-s", "-a", "UserName", "-a", "Password", "-a", "URL", str(target), "GitHub")
    assert shown.splitlines() == ["ann", "hunter3", "https://github.com"]
    assert keepassxc("show", "-s", "-a", "Recovery", str(target), "GitHub").strip() == "r-e-c"
    assert keepassxc("show", "-s", "-a", "otp", str(target), "GitHub").strip() == "JBSWY3DPEHPK3PXP"


def test_an_unencrypted_export_from_a_script_needs_yes(sh: Run, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = sh("export", str(target), "-F", "safehold-json", "--json")
    assert result.exit_code == ExitCode.USAGE
    assert as_json(result)["error"]["hint"] == "add --yes"
    assert not target.exists()


def test_error_paths(sh: Run, tmp_path: Path) -> None:
    existing = tmp_path / "there.json"
    existing.write_text("keep me")
    result = sh("export", str(existing), "-F", "safehold-json", "--yes", "--json")
    assert result.exit_code == ExitCode.USAGE and "exists" in as_json(result)["error"]["message"]
    assert existing.read_text() == "keep me"
    assert sh("export", str(existing), "-F", "safehold-json", "--yes", "--force").exit_code == 0
    result = sh("export", str(tmp_path / "x"), "-F", "lastpass", "--yes", "--json")
    assert result.exit_code == ExitCode.USAGE and "unknown format" in as_json(result)["error"]["message"]
    result = sh("export", str(tmp_path / "nowhere" / "x.json"), "-F", "csv", "--yes", "--json")
    assert result.exit_code == ExitCode.USAGE and "does not exist" in as_json(result)["error"]["message"]
    empty_password = "\n"
    result = sh(
        "export",
        str(tmp_path / "e.kdbx"),
        "-F",
        "kdbx",
        "--file-password-stdin",
        "--json",
        input=empty_password,
    )
    assert result.exit_code == ExitCode.USAGE
    assert not (tmp_path / "e.kdbx").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == []
