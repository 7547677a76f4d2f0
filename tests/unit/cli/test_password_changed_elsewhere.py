"""A device whose password was changed on another device says so: at the password prompt,
with the hint set with the NEW password, and in `status`, until it signs in with the new one
(issue 15 "messages that say the truth")."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.cli.conftest import EMAIL, Run, as_json
from tests.unit.cli.conftest import service as _service
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

from safehold.client.errors import ExitCode, SessionRevoked


def _two_devices_then_change(cli: Run) -> str:
    made = cli("A", "signup", EMAIL, "--hint", "the old one", "--json")
    assert made.exit_code == 0, made.output
    key = as_json(made)["account_key"]
    assert cli("B", "login", EMAIL, "--account-key", key, "--json").exit_code == 0
    changed = cli("A", "change-password", "--hint", "the green one", "--json",
                  env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD})  # fmt: skip
    assert changed.exit_code == 0, changed.output
    return str(key)


def test_unlock_says_the_password_changed_and_shows_the_new_hint(cli: Run) -> None:
    _two_devices_then_change(cli)
    before = as_json(cli("B", "status", "--json"))
    assert before["password_changed_elsewhere"] is None  # nothing told this device yet

    refused = cli("B", "list", "--json", password=PASSWORD)
    assert refused.exit_code == ExitCode.AUTH_FAILED, refused.output
    error = json.loads(refused.stdout)["error"]
    assert "changed on another device" in error["message"]
    assert error["hint"] == "your account hint: the green one"
    assert "Traceback" not in refused.output

    told = as_json(cli("B", "status", "--json"))
    assert told["password_changed_elsewhere"] and told["hint"] == "the green one"
    human = cli("B", "status")
    assert human.exit_code == 0
    assert "password was changed on another device" in human.stdout
    assert "The new password's hint: the green one" in human.stdout

    # The old password stays refused, with the same words, offline or not.
    again = cli("B", "list", password=PASSWORD)
    assert again.exit_code == ExitCode.AUTH_FAILED and "the green one" in again.stderr

    # Signing in with the new password clears the notice.
    assert cli("B", "list", "--json", password=NEW_PASSWORD).exit_code == 0
    after = as_json(cli("B", "status", "--json"))
    assert after["password_changed_elsewhere"] is None and after["hint"] == "the green one"
    assert "changed on another device" not in cli("B", "status").stdout


def test_a_removed_hint_is_removed_here_too(cli: Run) -> None:
    made = cli("A", "signup", EMAIL, "--hint", "the old one", "--json")
    key = as_json(made)["account_key"]
    assert cli("B", "login", EMAIL, "--account-key", key, "--json").exit_code == 0
    assert cli("A", "change-password", "--hint", "", "--json",
               env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD}).exit_code == 0  # fmt: skip
    refused = cli("B", "list", "--json", password=PASSWORD)
    error = json.loads(refused.stdout)["error"]
    assert "changed on another device" in error["message"] and "hint" not in error
    assert as_json(cli("B", "status", "--json"))["hint"] is None


def test_a_device_told_while_unlocked_notes_it(cli: Run, tmp_path: Path) -> None:
    """Any answer of the server through the unlocked vault (here a sync) that says the
    password changed is noted, so `status` shows it and `unlock` asks again."""
    made = cli("A", "signup", EMAIL, "--json")
    key = as_json(made)["account_key"]
    assert cli("B", "login", EMAIL, "--account-key", key, "--json").exit_code == 0
    service = _service(tmp_path, "B")
    unlocked = service.unlock(PASSWORD)
    try:
        assert cli("A", "change-password", "--hint", "new", "--json",
                   env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD}).exit_code == 0  # fmt: skip
        try:
            unlocked.sync()
        except SessionRevoked as exc:
            assert exc.reason == "password_changed" and exc.account_hint == "new"
        else:
            raise AssertionError("the sync should have been refused")
        account_id = unlocked.account_id
    finally:
        unlocked.close()
    assert service.password_changed_elsewhere(account_id)
    assert as_json(cli("B", "status", "--json"))["hint"] == "new"


def test_other_revocations_note_nothing(cli: Run) -> None:
    made = cli("A", "signup", EMAIL, "--json")
    key = as_json(made)["account_key"]
    assert cli("B", "login", EMAIL, "--account-key", key, "--json").exit_code == 0
    device = as_json(cli("B", "status", "--json"))["device_id"]
    assert cli("A", "devices", "--revoke", device, "--yes", "--json").exit_code == 0
    assert cli("B", "list", "--json").exit_code == ExitCode.SESSION_REVOKED
    assert as_json(cli("B", "status", "--json"))["password_changed_elsewhere"] is None
