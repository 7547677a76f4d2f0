"""Item commands through CliRunner against the in-process server: strict field names, custom
fields with kinds, search that never looks at hidden values, the generator's switches, deleting
user-defined types, --json on every item command and its error paths, and the clipboard clear."""

from __future__ import annotations

import functools
import hashlib
import os
import re
import stat
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from tests.unit.cli.conftest import Run, as_json
from typer.testing import CliRunner

from safehold.cli import clipboard
from safehold.cli.main import app
from safehold.client.errors import ClientError, ExitCode
from safehold.client.settings import ClientSettings

# Strong enough for any password policy a signup applies.
PASSWORD = "maple quartz lantern 48 orbit"


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    """The ``cli`` fixture on profile A, signed up, with a password any policy accepts."""
    run: Run = functools.partial(cli, password=PASSWORD)
    made = run("A", "signup", "ann@example.com", "--json")
    assert made.exit_code == 0, made.output
    yield functools.partial(run, "A")


def ok(result: Result) -> Any:
    """A successful run's JSON output (or its text, for a run without --json)."""
    assert result.exit_code == 0, result.output
    return as_json(result) if result.stdout[:1] in ("{", "[") else result.stdout


def error(result: Result, code: ExitCode) -> dict[str, Any]:
    assert result.exit_code == code, result.output
    body: dict[str, Any] = as_json(result)["error"]
    assert body["exit_code"] == code
    return body


# --- field names ---------------------------------------------------------------------------


def test_card_example_from_the_help_fills_the_template_fields(sh: Run) -> None:
    ok(sh("add", "credit card", "--title", "Visa", "-f", "number=4111111111111111", "-f", "expiry=12/29",
          "-f", "CVV=123", "-f", "name=Ann Smith", "--json"))  # fmt: skip
    item = ok(sh("get", "Visa", "--json"))
    assert item["fields"] == {
        "card_number": "4111111111111111",
        "expiration_date": "12/29",
        "security_code": "123",
        "name_on_card": "Ann Smith",
    }
    assert item["custom"] == []
    table = sh("get", "Visa").stdout
    assert "4111111111111111" not in table and "123" not in table  # hidden fields are masked
    assert "Card Number" in table and "12/29" in table
    # Aliases, keys and labels work for reading too.
    for name in ("number", "card_number", "Card Number", "CARD-NUMBER"):
        assert sh("get", "Visa", "--field", name).stdout == "4111111111111111\n"


@pytest.mark.parametrize("command", ["add", "edit"])
def test_an_unknown_field_name_is_an_error_listing_the_names(sh: Run, command: str) -> None:
    ok(sh("add", "login", "--title", "GitHub", "-f", "password=first"))
    if command == "add":
        result = sh("add", "login", "--title", "Other", "-f", "pasword=s3cret")
    else:
        result = sh("edit", "GitHub", "-f", "pasword=s3cret")
    assert result.exit_code == ExitCode.USAGE
    assert "'pasword'" in result.stderr
    assert "Username" in result.stderr and "Password" in result.stderr and "Website" in result.stderr
    assert "--custom" in result.stderr  # the hint says how to add a field of your own
    assert [i["title"] for i in ok(sh("list", "--json"))] == ["GitHub"]  # nothing was saved
    assert sh("get", "GitHub", "--field", "password").stdout == "first\n"
    body = error(sh(command, *(["login", "--title", "X"] if command == "add" else ["GitHub"]),
                    "-f", "pasword=x", "--json"), ExitCode.USAGE)  # fmt: skip
    assert body["kind"] == "usage" and "Password" in body["message"] and "--custom" in body["hint"]


def test_custom_fields_with_kinds_on_add_and_edit(sh: Run) -> None:
    ok(sh("add", "login", "--title", "Bank", "-f", "url=https://bank.example",
          "--custom", "Backup codes:hidden=111 222", "--custom", "Portal:url=https://portal.example",
          "--custom", "Member since=2019", "--custom", "Auth:TOTP=JBSWY3DPEHPK3PXP"))  # fmt: skip
    item = ok(sh("get", "Bank", "--json"))
    assert item["fields"] == {"website": "https://bank.example"}
    assert [(c["name"], c["kind"], c["value"]) for c in item["custom"]] == [
        ("Backup codes", "hidden", "111 222"),
        ("Portal", "url", "https://portal.example"),
        ("Member since", "text", "2019"),
        ("Auth", "totp", "JBSWY3DPEHPK3PXP"),
    ]
    table = sh("get", "Bank").stdout
    assert "111 222" not in table and "JBSWY3DPEHPK3PXP" not in table and "2019" in table
    assert sh("get", "Bank", "--field", "backup codes").stdout == "111 222\n"
    # Edit: a new value, a kind change, a removal (the hidden value goes to history).
    ok(sh("edit", "Bank", "--custom", "Backup codes=333 444", "--custom", "Member since:hidden=2020",
          "--custom", "Portal=", "--json"))  # fmt: skip
    item = ok(sh("get", "Bank", "--json"))
    assert [(c["name"], c["kind"], c["value"]) for c in item["custom"]] == [
        ("Backup codes", "hidden", "333 444"),
        ("Member since", "hidden", "2020"),
        ("Auth", "totp", "JBSWY3DPEHPK3PXP"),
    ]
    assert [h["value"] for h in ok(sh("history", "Bank", "--json", "--reveal"))] == ["111 222"]
    # --field reaches an existing custom field by its name, too.
    ok(sh("edit", "Bank", "-f", "member since=2021"))
    assert sh("get", "Bank", "--field", "Member since").stdout == "2021\n"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("PIN:secret=1", "not a kind of custom field"),
        ("novalue", "NAME=VALUE"),
        ("=x", "NAME=VALUE"),
        ("Username=ann", "already has a field called"),  # a template field: use --field
        ("Code:totp=not base32!", "base32"),
    ],
)
def test_bad_custom_fields_are_usage_errors(sh: Run, spec: str, message: str) -> None:
    result = sh("add", "login", "--title", "X", "--custom", spec)
    assert result.exit_code == ExitCode.USAGE, result.output
    assert message in result.stderr
    assert ok(sh("list", "--json")) == []


def test_several_websites_on_a_login(sh: Run) -> None:
    ok(sh("add", "login", "--title", "Shop", "-f", "website=https://shop.example",
          "--custom", "Website 2:url=https://shop.example.co.uk"))  # fmt: skip
    table = sh("get", "Shop").stdout
    assert "https://shop.example" in table and "https://shop.example.co.uk" in table
    assert [i["title"] for i in ok(sh("list", "--search", "co.uk", "--json"))] == ["Shop"]


def test_an_80_bit_totp_secret_gives_codes(sh: Run) -> None:
    ok(sh("add", "login", "--title", "Site", "-f", "otp=JBSWY3DPEHPK3PXP"))
    code = ok(sh("totp", "Site", "--json"))
    assert re.fullmatch(r"\d{6}", code["code"]) and code["period"] == 30
    assert 1 <= code["seconds_left"] <= 30


# --- search --------------------------------------------------------------------------------


def test_search_never_looks_at_hidden_values(sh: Run) -> None:
    ok(sh("add", "credit card", "--title", "Visa", "-f", "number=4111111111111111", "-f", "pin=2468",
          "-f", "name on card=Ann Smith"))  # fmt: skip
    ok(sh("add", "ssn", "--title", "My SSN", "-f", "number=123-45-6789", "-f", "name=Ann"))
    ok(sh("add", "combination", "--title", "Bike lock", "-f", "code=9753"))
    ok(sh("add", "software licence", "--title", "Editor", "-f", "licence key=ZXQW-PLMK",
          "-f", "version=v7"))  # fmt: skip
    ok(sh("add", "login", "--title", "Mail", "-f", "password=hunter2",
          "--custom", "Recovery PIN:hidden=8642", "--custom", "OTP:totp=JBSWY3DPEHPK3PXP",
          "--custom", "Note=blue door"))  # fmt: skip
    for secret in ("4111", "2468", "6789", "9753", "zxqw", "hunter2", "8642", "jbswy3"):
        assert ok(sh("list", "--search", secret, "--json")) == [], secret
    visible = {"ann smith": ["Visa"], "v7": ["Editor"], "blue door": ["Mail"], "bike": ["Bike lock"]}
    for needle, titles in visible.items():
        assert [i["title"] for i in ok(sh("list", "--search", needle, "--json"))] == titles, needle


# --- generator -----------------------------------------------------------------------------


def test_generator_character_class_switches(sh: Run) -> None:
    pin = ok(sh("generate", "--length", "8", "--no-lower", "--no-upper", "--no-symbols", "--json"))
    assert re.fullmatch(r"\d{8}", pin["value"])
    assert pin["entropy_bits"] == pytest.approx(8 * 3.3219, abs=0.1)
    letters = ok(sh("generate", "--length", "30", "--no-digits", "--no-symbols", "--json"))["value"]
    assert re.fullmatch(r"[A-Za-z]{30}", letters)
    assert re.search(r"[a-z]", letters) and re.search(r"[A-Z]", letters)
    lower = ok(sh("generate", "--no-upper", "--no-digits", "--no-symbols", "--no-lookalikes", "--json"))
    assert re.fullmatch(r"[a-z]{20}", lower["value"]) and not set("lo") & set(lower["value"])
    symbols_only = ok(sh("generate", "--length", "12", "--no-lower", "--no-upper", "--no-digits", "--json"))
    assert not any(ch.isalnum() for ch in symbols_only["value"])


def test_passphrase_separator_and_options(sh: Run) -> None:
    spaced = ok(sh("generate", "--words", "4", "--separator", " ", "--json"))["value"]
    # The word list has a few hyphenated words ("drop-down", "t-shirt"): letters otherwise.
    words = spaced.split(" ")
    assert len(words) == 4 and all(w.replace("-", "").isalpha() and w.islower() for w in words), spaced
    joined = ok(sh("generate", "--words", "3", "--separator", "", "--capitalize", "--json"))["value"]
    assert re.fullmatch(r"([A-Z][a-z]+){3}", joined.replace("-", "")), joined
    numbered = ok(sh("generate", "--words", "5", "--number", "--json"))
    assert len(re.findall(r"\d", numbered["value"])) == 1
    plain = ok(sh("generate", "--words", "5", "--json"))
    assert numbered["entropy_bits"] > plain["entropy_bits"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--no-lower", "--no-upper", "--no-digits", "--no-symbols"], "every kind of character"),
        (["--words", "4", "--no-digits"], "--no-digits"),
        (["--words", "4", "--no-lookalikes"], "--no-lookalikes"),
        (["--length", "12", "--separator", "_"], "--separator"),
        (["--capitalize"], "--capitalize"),
        (["--length", "3"], "4 to 1024"),
        (["--length", "2", "--no-symbols", "--no-digits", "--no-lower"], "4 to 1024"),
        (["--words", "0"], "1 to 64"),
        (["--length", "8", "--words", "3"], "not both"),
    ],
)
def test_impossible_generator_options_are_refused(sh: Run, args: list[str], message: str) -> None:
    result = sh("generate", *args)
    assert result.exit_code == ExitCode.USAGE and message in result.stderr, result.output
    body = error(sh("generate", *args, "--json"), ExitCode.USAGE)
    assert message in body["message"]


# --- user-defined types --------------------------------------------------------------------


def test_types_add_use_and_remove(sh: Run) -> None:
    defined = ok(sh("types", "--add", "Gym locker", "--field", "number", "--field", "code:hidden", "--json"))
    assert defined["label"] == "Gym locker" and [f["kind"] for f in defined["fields"]] == ["text", "hidden"]
    listed = {t["label"]: t for t in ok(sh("types", "--json"))}
    assert listed["Gym locker"]["builtin"] is False and listed["Login"]["builtin"] is True
    ok(sh("add", "gym locker", "--title", "Locker 12", "-f", "code=1234"))
    again = error(sh("types", "--add", "gym-locker", "--json"), ExitCode.USAGE)
    assert "already a type" in again["message"]
    refused = sh("types", "--remove", "Gym locker")
    assert refused.exit_code == ExitCode.USAGE and "'Locker 12'" in refused.stderr
    assert "Gym locker" in sh("types").stdout  # still there
    ok(sh("rm", "Locker 12"))
    removed = ok(sh("types", "--remove", "gym locker", "--json"))
    assert removed == {"removed": "Gym locker", "key": "gym_locker", "definitions": 1}
    assert "Gym locker" not in {t["label"] for t in ok(sh("types", "--json"))}
    assert sh("add", "gym locker", "--title", "X").exit_code == ExitCode.USAGE
    # It can be defined again afterwards.
    ok(sh("types", "--add", "Gym locker", "--field", "number", "--json"))


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--remove", "login"], "built-in"),
        (["--remove", "spaceship"], "no item type called"),
        (["--add", "Card"], "already a type"),
        (["--add", "A", "--remove", "B"], "not both"),
        (["--field", "number"], "--add"),
        (["--add", "Locker", "--field", "code:secret"], "field kind"),
    ],
)
def test_types_errors(sh: Run, args: list[str], message: str) -> None:
    body = error(sh("types", *args, "--json"), ExitCode.USAGE)
    assert message in body["message"]


# --- --json on every item command, and its error paths ----------------------------------


def test_every_item_command_speaks_json(sh: Run) -> None:
    added = ok(sh("add", "login", "--title", "GitHub", "-f", "username=ann", "-f", "password=first",
                  "-f", "otp=JBSWY3DPEHPK3PXP", "--tag", "work", "--favorite", "--json"))  # fmt: skip
    assert set(added) == {"id", "type", "title", "tags", "favorite", "modified"}
    assert (added["type"], added["title"], added["tags"], added["favorite"]) == (
        "login",
        "GitHub",
        ["work"],
        True,
    )
    edited = ok(
        sh("edit", "GitHub", "-f", "password=second", "--title", "GitHub.com", "--no-favorite", "--json")
    )
    assert edited["id"] == added["id"] and edited["title"] == "GitHub.com" and edited["favorite"] is False
    full = ok(sh("get", "GitHub.com", "--json"))
    assert full["id"] == added["id"] and full["fields"]["password"] == "second"
    one = ok(sh("get", "GitHub.com", "--field", "username", "--json"))
    assert one == {"id": added["id"], "field": "username", "label": "Username", "value": "ann"}
    listed = ok(sh("list", "--json"))
    assert [(i["id"], i["title"]) for i in listed] == [(added["id"], "GitHub.com")]
    history = ok(sh("history", "GitHub.com", "--json", "--reveal"))
    assert [(h["field"], h["value"]) for h in history] == [("password", "first")]
    code = ok(sh("totp", "GitHub.com", "--json"))
    assert set(code) == {"code", "seconds_left", "period"}
    report = ok(sh("report", "--json"))
    assert {"checked", "weak", "reused", "old"} <= set(report)
    made = ok(sh("generate", "--json"))
    assert len(made["value"]) == 20 and made["entropy_bits"] > 100
    types = ok(sh("types", "--json"))
    assert "Login" in {t["label"] for t in types}
    removed = ok(sh("rm", "GitHub.com", "--json"))
    assert removed == {"deleted": added["id"], "title": "GitHub.com", "trashed": True, "purge_after_days": 30}
    assert ok(sh("list", "--json")) == []


@pytest.mark.parametrize("command", ["get", "edit", "rm", "history", "totp"])
def test_not_found_and_ambiguous_with_json(sh: Run, command: str) -> None:
    ok(sh("add", "login", "--title", "GitHub", "-f", "otp=JBSWY3DPEHPK3PXP"))
    ok(sh("add", "login", "--title", "Gitea", "-f", "otp=JBSWY3DPEHPK3PXP"))
    extra = ["--title", "New"] if command == "edit" else []
    missing = error(sh(command, "Nothing", *extra, "--json"), ExitCode.NOT_FOUND)
    assert missing["kind"] == "not_found" and "Nothing" in missing["message"]
    ambiguous = error(sh(command, "Git", *extra, "--json"), ExitCode.NOT_FOUND)
    assert ambiguous["kind"] == "ambiguous"
    assert {title for _, title in ambiguous["candidates"]} == {"Gitea", "GitHub"}
    assert len(ok(sh("list", "--json"))) == 2  # nothing was changed or deleted


def test_other_json_error_paths(sh: Run) -> None:
    ok(sh("add", "secure note", "--title", "Note"))
    no_field = error(sh("get", "Note", "--field", "shoe size", "--json"), ExitCode.NOT_FOUND)
    assert no_field["kind"] == "not_found" and "shoe size" in no_field["message"]
    no_otp = error(sh("totp", "Note", "--json"), ExitCode.NOT_FOUND)
    assert "one-time-password" in no_otp["message"]
    bad_type = error(sh("add", "spaceship", "--title", "X", "--json"), ExitCode.USAGE)
    assert "Credit Card" in bad_type["message"]
    nothing = error(sh("edit", "Note", "--json"), ExitCode.USAGE)
    assert "nothing to change" in nothing["message"]


def test_add_help_shows_favorite_once_and_edit_can_unset_it() -> None:
    runner = CliRunner()
    add_help = runner.invoke(app, ["add", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--favorite" in add_help and "--no-favorite" not in add_help
    assert "--custom" in add_help
    edit_help = runner.invoke(app, ["edit", "--help"], env={"COLUMNS": "200"}).stdout
    assert "--no-favorite" in edit_help and "--custom" in edit_help


# --- clipboard -----------------------------------------------------------------------------

FAKE_XCLIP = """#!{python}
# Stands in for xclip: the clipboard is the file named here (not in the environment: the
# clearing helper gets a clean one).
import os, sys
path = {board!r}
if "-o" in sys.argv:
    sys.stdout.buffer.write(open(path, "rb").read() if os.path.exists(path) else b"")
else:
    data = sys.stdin.buffer.read()
    with open(path + ".tmp", "wb") as f:
        f.write(data)
    os.replace(path + ".tmp", path)
"""


@pytest.fixture
def fake_clipboard(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An ``xclip`` on PATH that keeps the clipboard in a file; returns that file."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    tool = bin_dir / "xclip"
    board = tmp_path / "clipboard"
    tool.write_text(FAKE_XCLIP.format(python=sys.executable, board=str(board)))
    tool.chmod(tool.stat().st_mode | stat.S_IXUSR)
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    monkeypatch.setenv("DISPLAY", ":99")
    monkeypatch.delenv("WAYLAND_DISPLAY", raising=False)
    return board


def test_clipboard_is_cleared_after_the_delay(fake_clipboard: Path) -> None:
    helper = clipboard.copy_with_timeout("s3cret", clear_after=0.2)
    assert fake_clipboard.read_bytes() == b"s3cret"  # copied before the call returns
    assert helper.wait(timeout=60) == 0
    assert fake_clipboard.read_bytes() == b""


def test_clipboard_is_left_alone_if_the_user_copied_something_else(fake_clipboard: Path) -> None:
    helper = clipboard.copy_with_timeout("s3cret", clear_after=1.0)
    fake_clipboard.write_bytes(b"something the user copied")
    assert helper.wait(timeout=60) == 0
    assert fake_clipboard.read_bytes() == b"something the user copied"


def test_the_clear_helper_never_sees_the_value(fake_clipboard: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started: list[list[str]] = []
    real_popen = clipboard.subprocess.Popen

    def spy(args: list[str], **kwargs: Any) -> Any:
        started.append(list(args))
        return real_popen(args, **kwargs)

    monkeypatch.setattr(clipboard.subprocess, "Popen", spy)
    clipboard.copy_with_timeout("s3cret-value", clear_after=0.1).wait(timeout=60)
    assert any("safehold.cli.clipboard" in args for args in started)
    assert not any("s3cret-value" in arg for args in started for arg in args)


def test_the_clear_helper_gets_nothing_that_recovers_the_value(
    fake_clipboard: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 12 item 11: the review cracked the unsalted SHA-256 the helper was given, and the
    helper inherited SAFEHOLD_PASSWORD. Its argv and environment (what other processes can
    read) now hold neither the value, nor a hash of it, nor anything of ours."""
    monkeypatch.setenv("SAFEHOLD_PASSWORD", "the-account-password")
    monkeypatch.setenv("SAFEHOLD_NEW_PASSWORD", "another-password")
    value = "1234"  # short: its plain hash would fall to a dictionary at once
    helper = clipboard.copy_with_timeout(value, clear_after=60)
    try:
        cmdline = Path(f"/proc/{helper.pid}/cmdline").read_bytes()
        environ = Path(f"/proc/{helper.pid}/environ").read_bytes()
    finally:
        helper.kill()
        helper.wait(timeout=60)
    visible = cmdline + b"\0" + environ
    plain_hash = hashlib.sha256(value.encode()).hexdigest()
    for secret in (value, plain_hash, "the-account-password", "another-password"):
        assert secret.encode() not in visible
    assert b"SAFEHOLD_" not in environ
    names = {entry.split(b"=", 1)[0].decode() for entry in environ.split(b"\0") if entry}
    assert names <= set(clipboard.HELPER_ENV)


def test_get_copy_through_the_cli(sh: Run, fake_clipboard: Path) -> None:
    ok(sh("add", "login", "--title", "GitHub", "-f", "password=s3cret", "-f", "username=ann"))
    copied = ok(sh("get", "GitHub", "--copy", "--json", env={"SAFEHOLD_CLIPBOARD_CLEAR": "0.3"}))
    assert copied == {"copied": "Password", "clear_after": 0.3}
    human = sh("get", "GitHub", "--field", "username", "--copy", env={"SAFEHOLD_CLIPBOARD_CLEAR": "0.3"})
    assert human.exit_code == 0 and "0.3 seconds" in human.stdout
    assert "ann" not in human.stdout
    # The helper runs detached; wait (generously) for it to clear the clipboard.
    deadline = time.monotonic() + 60
    while fake_clipboard.read_bytes() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert fake_clipboard.read_bytes() == b""


@pytest.mark.parametrize("value", ["soon", "0", "-1", "nan", "inf", "100000"])
def test_a_bad_clear_delay_is_a_usage_error(sh: Run, fake_clipboard: Path, value: str) -> None:
    ok(sh("add", "login", "--title", "GitHub", "-f", "password=s3cret"))
    body = error(
        sh("get", "GitHub", "--copy", "--json", env={"SAFEHOLD_CLIPBOARD_CLEAR": value}), ExitCode.USAGE
    )
    assert "SAFEHOLD_CLIPBOARD_CLEAR" in body["message"]
    assert not fake_clipboard.exists()  # nothing was copied


def test_clear_delay_comes_from_the_settings(tmp_path: Path) -> None:
    def load(**env: str) -> ClientSettings:
        return ClientSettings.load(home=tmp_path, env=env)

    assert load().clipboard_clear == 30.0
    assert load(SAFEHOLD_CLIPBOARD_CLEAR="2.5").clipboard_clear == 2.5
    bad = load(SAFEHOLD_CLIPBOARD_CLEAR="x")  # loading never fails on it: only --copy does
    with pytest.raises(ClientError, match="SAFEHOLD_CLIPBOARD_CLEAR"):
        _ = bad.clipboard_clear
