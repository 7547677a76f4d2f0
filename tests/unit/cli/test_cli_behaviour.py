"""The CLI's report, help, signed-out states, re-login with the stored key, and sync progress
bar, through CliRunner against the in-process server."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from rich.console import Console
from tests.unit.cli.conftest import EMAIL, Run, as_json
from tests.unit.cli.conftest import service as _service
from tests.unit.cli.conftest import signup_json as _signup
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD
from typer.testing import CliRunner

from safehold.cli.account_cmds import COMMANDS as ACCOUNT_COMMANDS
from safehold.cli.account_cmds import PROGRESS_THRESHOLD, SyncProgress
from safehold.cli.device_cmds import COMMANDS as DEVICE_COMMANDS
from safehold.cli.item_cmds import COMMANDS as ITEM_COMMANDS
from safehold.cli.main import app
from safehold.cli.read_cmds import COMMANDS as READ_COMMANDS
from safehold.cli.run_cmds import COMMANDS as RUN_COMMANDS
from safehold.cli.session_cmds import COMMANDS as SESSION_COMMANDS
from safehold.cli.tool_cmds import COMMANDS as TOOL_COMMANDS
from safehold.cli.type_cmds import COMMANDS as TYPE_COMMANDS
from safehold.client.errors import ExitCode
from safehold.client.items import Item


def _put_items(tmp_path: Path, profile: str, items: list[Item]) -> None:
    unlocked = _service(tmp_path, profile).unlock(PASSWORD, online=False)
    try:
        for item in items:
            unlocked.vault.put(item.to_json())
    finally:
        unlocked.close()


# --- report ------------------------------------------------------------------------------


def test_report_shows_each_finding_by_title_and_field(cli: Run, tmp_path: Path) -> None:
    _signup(cli)
    now = datetime.now(UTC)
    for title in ("Forum", "Shop"):
        added = cli("A", "add", "login", "--title", title, "--field", "password=password1")
        assert added.exit_code == 0, added.output
    long_ago = now - timedelta(days=800)
    ancient = Item.new("login", "Router", long_ago)
    ancient.set_field("password", "Vq8#mZ2!tLw9@pRx4&Kd", long_ago)
    _put_items(tmp_path, "A", [ancient])

    data = as_json(cli("A", "report", "--json"))
    assert data["checked"] == 3
    assert {(w["title"], w["label"]) for w in data["weak"]} == {("Forum", "Password"), ("Shop", "Password")}
    assert [sorted(p["title"] for p in g["places"]) for g in data["reused"]] == [["Forum", "Shop"]]
    assert [(o["title"], o["label"]) for o in data["old"]] == [("Router", "Password")]
    assert data["old"][0]["age_days"] >= 800
    assert "password1" not in str(data)

    shown = cli("A", "report", env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    out = shown.stdout
    assert "Checked 3 passwords." in out
    weak_part = out[out.index("Weak passwords (2)") : out.index("Reused passwords (1)")]
    assert "Forum (Password)" in weak_part and "Shop (Password)" in weak_part
    reused_part = out[out.index("Reused passwords (1)") : out.index("Passwords older than 365 days (1)")]
    assert "Forum (Password)" in reused_part and "Shop (Password)" in reused_part
    old_part = out[out.index("Passwords older than 365 days (1)") :]
    assert "Router (Password)" in old_part and re.search(r"\b8\d\d\b", old_part)
    assert "password1" not in out and "Vq8#" not in out
    # No blank findings: every table row names an item.
    assert not re.search(r"^\s*│\s*│", out, re.MULTILINE)


def test_report_clean_vault(cli: Run) -> None:
    _signup(cli)
    cli("A", "add", "login", "--title", "Bank", "--field", "password=Vq8#mZ2!tLw9@pRx4&Kd")
    shown = cli("A", "report")
    assert shown.exit_code == 0 and "No weak, reused or old passwords." in shown.stdout
    data = as_json(cli("A", "report", "--json"))
    assert data == {"checked": 1, "old_after_days": 365, "weak": [], "reused": [], "old": []}


# --- help ----------------------------------------------------------------------------------


EVERY_COMMAND = [*ACCOUNT_COMMANDS, *DEVICE_COMMANDS, *ITEM_COMMANDS, *READ_COMMANDS, *TOOL_COMMANDS,
                 *TYPE_COMMANDS, *SESSION_COMMANDS, *RUN_COMMANDS]  # fmt: skip


@pytest.mark.parametrize("command", EVERY_COMMAND)
def test_every_command_help_has_an_example(command: str) -> None:
    result = CliRunner().invoke(app, [command, "--help"], env={"COLUMNS": "120"})
    assert result.exit_code == 0, result.output
    assert re.search(r"^\s*Examples?:", result.stdout, re.MULTILINE), result.stdout
    assert f"safehold {command}" in result.stdout


def _option_row(help_text: str, flag: str) -> str:
    return next(line for line in help_text.splitlines() if line.startswith(f"│ {flag} "))


def test_help_shows_flags_without_bool_metavar() -> None:
    top = CliRunner().invoke(app, ["--help"], env={"COLUMNS": "120"}).stdout
    for flag in ("--password-stdin", "--json"):
        assert "<bool>" not in _option_row(top, flag)
    get = CliRunner().invoke(app, ["get", "--help"], env={"COLUMNS": "120"}).stdout
    for flag in ("--copy", "--reveal", "--json", "--password-stdin"):
        assert "<bool>" not in _option_row(get, flag)
    assert "<str>" in _option_row(get, "--field")


# --- signed out -------------------------------------------------------------------------------


def test_empty_profile_is_not_signed_in(cli: Run) -> None:
    for args in (["status", "--json"], ["list", "--json"], ["sync", "--json"]):
        result = cli("Z", *args)
        assert result.exit_code == ExitCode.SESSION_REVOKED
        error = as_json(result)["error"]
        assert error["kind"] == "not_signed_in", error
        assert "no account" in error["message"] and "signup" in error["hint"]
    human = cli("Z", "status")
    assert human.exit_code == ExitCode.SESSION_REVOKED and "no account yet" in human.stderr


# --- login with the stored account key ------------------------------------------------------


def test_login_again_after_revocation_reuses_the_stored_key(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    cli("A", "add", "login", "--title", "GitHub", "--field", "password=one")
    assert cli("A", "sync").exit_code == 0
    assert cli("B", "login", EMAIL, "--account-key", key).exit_code == 0
    other = next(d for d in as_json(cli("A", "devices", "--json")) if not d["current"])
    assert cli("A", "devices", "--revoke", other["device_id"], "--yes").exit_code == 0
    assert cli("B", "sync").exit_code == ExitCode.SESSION_REVOKED

    again = cli("B", "login", EMAIL, "--json")
    assert again.exit_code == 0, again.output
    assert as_json(again)["items"] == 1
    assert "stored on this device" in again.stderr
    assert key not in again.stdout + again.stderr
    assert cli("B", "sync").exit_code == 0
    assert cli("B", "get", "GitHub", "--field", "password").stdout == "one\n"


def test_login_again_after_password_change_elsewhere(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    assert cli("B", "login", EMAIL, "--account-key", key).exit_code == 0
    changed = cli("A", "change-password", env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD})
    assert changed.exit_code == 0, changed.output
    wrong = cli("B", "login", EMAIL, password=PASSWORD)
    assert wrong.exit_code == ExitCode.AUTH_FAILED and "--kit FILE" in wrong.stderr
    assert cli("B", "login", EMAIL, password=NEW_PASSWORD).exit_code == 0
    assert cli("B", "list", "--json", password=NEW_PASSWORD).exit_code == 0


def test_login_without_key_on_a_new_device_is_a_usage_error(cli: Run) -> None:
    _signup(cli)
    for args in (["login", EMAIL], ["login", EMAIL, "--json"]):
        result = cli("C", *args)
        assert result.exit_code == ExitCode.USAGE
        message = as_json(result)["error"]["message"] if "--json" in args else result.stderr
        assert "hidden prompt" in message and "--kit" in message
    # A key for another email on this device is not used.
    other = cli("A", "login", "bob@example.com")
    assert other.exit_code == ExitCode.USAGE and "--kit FILE" in other.stderr
    both = cli("C", "login", EMAIL, "--account-key", "SH1-X", "--kit", "kit.pdf")
    assert both.exit_code == ExitCode.USAGE and "not both" in both.stderr


# --- sync progress --------------------------------------------------------------------------


def _terminal() -> tuple[Console, io.StringIO]:
    buffer = io.StringIO()
    return Console(file=buffer, force_terminal=True, width=80), buffer


def test_progress_bar_only_above_the_threshold() -> None:
    console, buffer = _terminal()
    with SyncProgress(console) as small:
        small("pull", PROGRESS_THRESHOLD, PROGRESS_THRESHOLD)
        small("push", 3, 3)
    assert buffer.getvalue() == ""

    console, buffer = _terminal()
    with SyncProgress(console) as big:
        big("pull", 500, None)
        big("pull", 1000, 1000)
        big("push", PROGRESS_THRESHOLD + 1, PROGRESS_THRESHOLD + 1)
    text = buffer.getvalue()
    assert "downloading" in text and "1000/1000" in text
    assert "uploading" in text and f"{PROGRESS_THRESHOLD + 1}/{PROGRESS_THRESHOLD + 1}" in text

    console, buffer = _terminal()
    with SyncProgress(console, enabled=False) as silent:  # --json
        silent("pull", 1000, 1000)
    assert buffer.getvalue() == ""


def test_sync_of_many_items_shows_a_progress_bar(cli: Run, tmp_path: Path) -> None:
    key = _signup(cli)["account_key"]
    now = datetime.now(UTC)
    count = PROGRESS_THRESHOLD + 20
    _put_items(tmp_path, "A", [Item.new("secure note", f"note {i}", now) for i in range(count)])

    # Through the client: the callback sees increasing counts up to the total.
    seen: list[tuple[str, int, int | None]] = []
    unlocked = _service(tmp_path, "A").unlock(PASSWORD)
    try:
        report = unlocked.sync(lambda phase, done, total: seen.append((phase, done, total)))
    finally:
        unlocked.close()
    assert report.pushed == count
    pushes = [(done, total) for phase, done, total in seen if phase == "push"]
    assert pushes and pushes[-1] == (count, count)
    assert [d for d, _ in pushes] == sorted({d for d, _ in pushes})

    # Through the CLI, with stderr taken for a terminal: the bar is drawn while downloading.
    terminal = {"TTY_COMPATIBLE": "1", "TERM": "xterm", "COLUMNS": "100"}
    login = cli("B", "login", EMAIL, "--account-key", key, env=terminal)
    assert login.exit_code == 0, login.output
    assert "downloading" in login.stderr and f"{count}/{count}" in login.stderr
    # Small syncs and --json draw none.
    assert "downloading" not in cli("B", "sync", env=terminal).stderr
    quiet = cli("C", "login", EMAIL, "--account-key", key, "--json", env=terminal)
    assert quiet.exit_code == 0 and "downloading" not in quiet.stderr
    assert as_json(quiet)["pulled"] == count
