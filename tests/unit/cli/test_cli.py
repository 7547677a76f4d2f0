"""Every command through CliRunner against the in-process server: output, --json, exit codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.unit.cli.conftest import Run, as_json
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD, THIRD_PASSWORD

from safehold.client.errors import ExitCode


def _signup(cli: Run, profile: str = "A", email: str = "ann@example.com") -> dict[str, str]:
    result = cli(profile, "signup", email, "--hint", "horse", "--json")
    assert result.exit_code == 0, result.output
    return as_json(result)  # type: ignore[no-any-return]


def test_signup_json_contract_and_kit(cli: Run, tmp_path: Path) -> None:
    made = _signup(cli)
    assert {"account_key", "account_id", "email"} <= made.keys()
    assert made["email"] == "ann@example.com" and made["account_key"].startswith("SH1-")
    assert re.fullmatch(r"[0-9a-f]{32}", made["account_id"])
    assert made["kit"] and Path(made["kit"]).exists()
    again = cli("B", "signup", "ann@example.com", "--json")
    assert again.exit_code == ExitCode.ERROR and as_json(again)["error"]["kind"] == "email_taken"


def test_signup_human_output_shows_key(cli: Run, tmp_path: Path) -> None:
    result = cli("A", "signup", "ann@example.com", "--kit", str(tmp_path / "kit.pdf"))
    assert result.exit_code == 0, result.output
    assert "SH1-" in result.stdout and (tmp_path / "kit.pdf").exists()


def test_items_roundtrip(cli: Run) -> None:
    _signup(cli)
    added = cli(
        "A",
        "add",
        "login",
        "--title",
        "GitHub",
        "--field",
        "username=ann",
        "--field",
        "password=s3cret",
        "--tag",
        "work",
        "--json",
    )
    assert added.exit_code == 0, added.output
    item_id = as_json(added)["id"]
    cli("A", "add", "login", "--title", "Gitea", "--field", "password=other")
    listed = as_json(cli("A", "list", "--json"))
    assert {i["title"] for i in listed} == {"GitHub", "Gitea"}
    assert all({"id", "type", "title"} <= i.keys() for i in listed)
    got = cli("A", "get", "GitHub", "--field", "password")
    assert got.exit_code == 0 and got.stdout == "s3cret\n"
    assert cli("A", "get", item_id[:8], "--field", "username").stdout == "ann\n"
    edited = cli("A", "edit", "GitHub", "--field", "password=n3w")
    assert edited.exit_code == 0, edited.output
    assert cli("A", "get", "github", "--field", "password").stdout == "n3w\n"
    history = as_json(cli("A", "history", "GitHub", "--json", "--reveal"))
    assert [h["value"] for h in history] == ["s3cret"]
    full = as_json(cli("A", "get", "GitHub", "--json"))
    assert full["id"] == item_id and full["tags"] == ["work"]
    table = cli("A", "get", "GitHub")
    assert "n3w" not in table.stdout and "ann" in table.stdout
    assert as_json(cli("A", "list", "--tag", "work", "--json"))[0]["title"] == "GitHub"
    assert len(as_json(cli("A", "list", "--search", "gite", "--json"))) == 1
    assert len(as_json(cli("A", "list", "--type", "credit card", "--json"))) == 0
    assert "GitHub" in cli("A", "list").stdout
    assert cli("A", "rm", "GitHub").exit_code == 0
    assert [i["title"] for i in as_json(cli("A", "list", "--json"))] == ["Gitea"]


def test_not_found_and_ambiguous(cli: Run) -> None:
    _signup(cli)
    cli("A", "add", "login", "--title", "GitHub")
    cli("A", "add", "login", "--title", "Gitea")
    missing = cli("A", "get", "Nothing")
    assert missing.exit_code == ExitCode.NOT_FOUND and "no item matches" in missing.stderr
    ambiguous = cli("A", "get", "Git", "--json")
    assert ambiguous.exit_code == ExitCode.NOT_FOUND
    assert len(as_json(ambiguous)["error"]["candidates"]) == 2
    no_field = cli("A", "get", "GitHub", "--field", "shoe size")
    assert no_field.exit_code == ExitCode.NOT_FOUND


def test_usage_errors(cli: Run) -> None:
    _signup(cli)
    assert cli("A", "add", "login", "--title", "X", "--field", "novalue").exit_code == ExitCode.USAGE
    assert cli("A", "add", "spaceship", "--title", "X").exit_code == ExitCode.USAGE
    assert cli("A", "add", "login").exit_code == ExitCode.USAGE  # missing --title
    assert cli("A", "edit", "X").exit_code in (ExitCode.USAGE, ExitCode.NOT_FOUND)
    assert cli("A", "generate", "--length", "10", "--words", "3").exit_code == ExitCode.USAGE
    bad_floor = cli("A", "list", env={"SAFEHOLD_KDF_FLOOR": "x"})
    assert bad_floor.exit_code == ExitCode.USAGE


def test_two_devices_sync_and_conflict(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    cli("A", "add", "login", "--title", "GitHub", "--field", "password=one")
    assert cli("A", "sync").exit_code == 0
    login = cli("B", "login", "ann@example.com", "--account-key", key, "--json")
    assert login.exit_code == 0, login.output
    assert as_json(login)["items"] == 1
    assert cli("B", "get", "GitHub", "--field", "password").stdout == "one\n"
    cli("A", "edit", "GitHub", "--field", "password=from-a")
    cli("B", "edit", "GitHub", "--field", "password=from-b")
    assert cli("A", "sync").exit_code == 0
    synced = cli("B", "sync", "--json")
    assert synced.exit_code == ExitCode.CONFLICTS
    assert len(as_json(synced)["conflicts"]) == 1
    status = as_json(cli("B", "status", "--json"))
    assert len(status["conflicts"]) == 1 and "conflict copy from B" in status["conflicts"][0]["title"]
    assert "conflict" in cli("B", "status").stdout
    cli("A", "sync")
    titles = sorted(i["title"] for i in as_json(cli("A", "list", "--json")))
    assert titles[0] == "GitHub" and titles[1].startswith("GitHub (conflict copy from B, ")
    assert cli("A", "get", "GitHub", "--field", "password").stdout == "from-a\n"


def test_login_errors(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    wrong = cli("B", "login", "ann@example.com", "--account-key", key, password="nope")
    unknown = cli("B", "login", "bob@example.com", "--account-key", key)
    assert wrong.exit_code == unknown.exit_code == ExitCode.AUTH_FAILED
    message = "email, password or account key incorrect"
    assert message in wrong.stderr and message in unknown.stderr
    assert "if the account was reset, use the new Emergency Kit" in wrong.stderr
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    assert cli("B", "login", "ann@example.com", "--account-key", typo).exit_code == ExitCode.ACCOUNT_KEY
    assert (
        cli("B", "login", "ann@example.com", "--account-key", "SH1-short").exit_code == ExitCode.ACCOUNT_KEY
    )
    assert cli("B", "login", "ann@example.com").exit_code == ExitCode.USAGE
    strong = cli("B", "login", "ann@example.com", "--account-key", key, env={"SAFEHOLD_KDF_FLOOR": "2,16,1"})
    assert strong.exit_code == ExitCode.KDF_REFUSED


def test_login_with_kit_png(cli: Run, tmp_path: Path) -> None:
    _signup(cli)
    png = tmp_path / "kit.png"
    assert cli("A", "kit", "--png", str(png)).exit_code == 0
    result = cli("B", "login", "ann@example.com", "--kit", str(png), "--json")
    assert result.exit_code == 0, result.output
    assert cli("B", "login", "bob@example.com", "--kit", str(png)).exit_code == ExitCode.USAGE


def test_locked_without_password_or_agent(cli: Run) -> None:
    _signup(cli)
    locked = cli("A", "list", password=None)
    assert locked.exit_code == ExitCode.LOCKED and "unlock" in locked.stderr
    status = as_json(cli("A", "status", "--json", password=None))
    assert status["unlocked"] is False and status["email"] == "ann@example.com"


def test_password_stdin(cli: Run) -> None:
    _signup(cli)
    cli("A", "add", "login", "--title", "X")
    ok = cli("A", "list", "--json", "--password-stdin", password=None, input=f"{PASSWORD}\n")
    assert ok.exit_code == 0 and len(as_json(ok)) == 1
    bad = cli("A", "--password-stdin", "list", password=None, input="wrong\n")
    assert bad.exit_code == ExitCode.AUTH_FAILED and "horse" in bad.stderr  # the hint


def test_unlock_and_lock_through_the_agent(cli: Run) -> None:
    _signup(cli)
    cli("A", "add", "login", "--title", "X")
    try:
        assert cli("A", "unlock").exit_code == 0
        assert as_json(cli("A", "list", "--json", password=None))[0]["title"] == "X"
        assert as_json(cli("A", "status", "--json", password=None))["unlocked"] is True
    finally:
        assert cli("A", "lock", "--json").exit_code == 0
    assert cli("A", "list", password=None).exit_code == ExitCode.LOCKED


def test_change_password_and_other_device(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    cli("B", "login", "ann@example.com", "--account-key", key)
    changed = cli("A", "change-password", "--json", env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD})
    assert changed.exit_code == 0, changed.output
    assert cli("B", "sync").exit_code == ExitCode.AUTH_FAILED
    assert cli("B", "sync", password=NEW_PASSWORD).exit_code == 0
    assert cli("A", "list", password=PASSWORD).exit_code == ExitCode.AUTH_FAILED
    stdin = cli(
        "A", "change-password", "--password-stdin", password=None, input=f"{NEW_PASSWORD}\n{THIRD_PASSWORD}\n"
    )
    assert stdin.exit_code == 0, stdin.output


def test_devices_and_revoke(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    cli("B", "login", "ann@example.com", "--account-key", key)
    listed = as_json(cli("A", "devices", "--json"))
    assert len(listed) == 2
    other = next(d for d in listed if not d["current"])
    assert "A" in cli("A", "devices").stdout
    assert cli("A", "devices", "--revoke", other["device_id"], "--yes").exit_code == 0
    assert cli("B", "sync").exit_code == ExitCode.SESSION_REVOKED
    assert cli("A", "devices", "--revoke", "ff" * 16, "--yes").exit_code == ExitCode.NOT_FOUND


def test_generate_totp_report_hint_reset_kit_types(cli: Run) -> None:
    made = as_json(cli("A", "generate", "--length", "24", "--json"))
    assert len(made["value"]) == 24 and made["entropy_bits"] > 100
    words = cli("A", "generate", "--words", "5")
    assert words.exit_code == 0 and len(words.stdout.strip().split("-")) == 5
    _signup(cli)
    cli(
        "A",
        "add",
        "login",
        "--title",
        "GitHub",
        "--field",
        "password=password1",
        "--field",
        "one-time password=JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP",
    )
    code = as_json(cli("A", "totp", "GitHub", "--json"))
    assert re.fullmatch(r"\d{6}", code["code"])
    assert re.fullmatch(r"\d{6}\n", cli("A", "totp", "GitHub").stdout)
    cli("A", "add", "secure note", "--title", "Note")
    assert cli("A", "totp", "Note").exit_code == ExitCode.NOT_FOUND
    report = as_json(cli("A", "report", "--json"))
    assert report["weak"]
    assert "Weak" in cli("A", "report").stdout
    assert cli("A", "hint", "ann@example.com", "--json").exit_code == 0
    assert cli("A", "reset", "nobody@example.com").exit_code == 0
    kit = as_json(cli("A", "kit", "--json"))
    assert kit["account_key"].startswith("SH1-")
    defined = cli("A", "types", "--add", "Gym locker", "--field", "number", "--field", "code:hidden")
    assert defined.exit_code == 0, defined.output
    assert cli("A", "add", "gym locker", "--title", "Locker", "--field", "code=1234").exit_code == 0
    assert "Gym locker" in cli("A", "types").stdout
    assert "Gym locker" not in [i["title"] for i in as_json(cli("A", "list", "--json"))]


def test_no_account_yet(cli: Run) -> None:
    result = cli("Z", "list", "--json")
    assert result.exit_code == ExitCode.SESSION_REVOKED
    error = json.loads(result.stdout)["error"]
    assert error["kind"] == "not_signed_in" and "signup" in error["hint"]


def test_copy_without_clipboard(cli: Run) -> None:
    _signup(cli)
    cli("A", "add", "login", "--title", "X", "--field", "password=abc")
    result = cli("A", "get", "X", "--copy", env={"DISPLAY": "", "WAYLAND_DISPLAY": ""})
    assert result.exit_code == ExitCode.ERROR and "clipboard" in result.stderr


def test_help_teaches() -> None:
    from typer.testing import CliRunner

    from safehold.cli.main import app

    out = CliRunner().invoke(app, ["add", "--help"]).stdout
    assert "Example" in out and "--field" in out
