"""Account commands: the password policy, input checks with exit 2, a damaged local vault,
device ids, a locked keychain at sign-up, and what `sync` reports (restored, rejected)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import keyring
import pytest
from tests.unit.cli.conftest import EMAIL, Run, as_json
from tests.unit.cli.conftest import service as _service
from tests.unit.cli.conftest import signup_json as _signup
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD
from tests.unit.client.test_keystore_fallback import LockedKeyring

from safehold.client.errors import ExitCode
from safehold.client.vault import MAX_ENVELOPE_CHARS


def _error(result: object) -> dict[str, object]:
    body = json.loads(result.stdout)  # type: ignore[attr-defined]
    return body["error"]  # type: ignore[no-any-return]


# --- password policy ---------------------------------------------------------------------


@pytest.mark.parametrize("weak", ["pw", "password123", "ann@example.com", "annexample"])
def test_signup_refuses_a_weak_password_before_creating_anything(cli: Run, weak: str) -> None:
    refused = cli("A", "signup", EMAIL, "--json", password=weak)
    assert refused.exit_code == ExitCode.USAGE
    error = _error(refused)
    assert error["kind"] == "weak_password"
    assert "too easy to guess" in str(error["message"]) and error["hint"]
    # No account was made: the same email signs up with a strong password.
    assert cli("A", "signup", EMAIL, "--json").exit_code == 0


def test_signup_weak_password_message_for_people(cli: Run) -> None:
    refused = cli("A", "signup", EMAIL, password="password123")
    assert refused.exit_code == ExitCode.USAGE
    assert "too easy to guess" in refused.stderr and "very common password" in refused.stderr
    assert "Traceback" not in refused.output


def test_change_password_refuses_a_weak_new_password(cli: Run) -> None:
    _signup(cli)
    refused = cli("A", "change-password", "--json", env={"SAFEHOLD_NEW_PASSWORD": "ann2024"})
    assert refused.exit_code == ExitCode.USAGE and _error(refused)["kind"] == "weak_password"
    assert cli("A", "list", password=PASSWORD).exit_code == 0  # the old password still works
    ok = cli("A", "change-password", "--json", env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD})
    assert ok.exit_code == 0, ok.output
    assert cli("A", "list", password=NEW_PASSWORD).exit_code == 0


def test_login_and_unlock_do_not_apply_the_policy(cli: Run, tmp_path: Path) -> None:
    """An account whose password predates the policy keeps working."""
    unlocked, key = _service(tmp_path, "A").signup(EMAIL, "pw")
    unlocked.close()
    assert cli("B", "login", EMAIL, "--account-key", key.to_text(), password="pw").exit_code == 0
    assert cli("B", "list", "--json", password="pw").exit_code == 0


# --- input checks --------------------------------------------------------------------------


@pytest.mark.parametrize("email", ["not-an-email", "two@@example.com", "ann @example.com", "@example.com"])
def test_invalid_email_is_a_usage_error(cli: Run, email: str) -> None:
    for command in (["signup", email, "--json"], ["login", email, "--account-key", "SH1-X", "--json"]):
        result = cli("A", *command)
        assert result.exit_code == ExitCode.USAGE, result.output
        assert "is not an email address" in str(_error(result)["message"])


def test_revoke_of_no_device_says_so(cli: Run) -> None:
    _signup(cli)
    for bad in ("deadbeefx", "zz", "a" * 33):
        result = cli("A", "devices", "--revoke", bad, "--json")
        assert result.exit_code == ExitCode.NOT_FOUND, result.output
        assert "no device of this account" in str(_error(result)["message"])
    empty = cli("A", "devices", "--revoke", " ", "--json")
    assert empty.exit_code == ExitCode.USAGE and "name a device" in str(_error(empty)["message"])
    this = cli("A", "devices", "--revoke", "A", "--yes", "--json")
    assert this.exit_code == ExitCode.USAGE and "safehold logout" in str(_error(this)["message"])


def test_revoke_accepts_a_unique_prefix_and_refuses_unknown_ones(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    assert cli("B", "login", EMAIL, "--account-key", key).exit_code == 0
    other = next(d for d in as_json(cli("A", "devices", "--json")) if not d["current"])
    unknown = next(p for p in ("0000", "ffff", "1234") if not other["device_id"].startswith(p))
    missing = cli("A", "devices", "--revoke", unknown, "--yes")
    assert missing.exit_code == ExitCode.NOT_FOUND and "no device" in missing.stderr
    unconfirmed = cli("A", "devices", "--revoke", other["device_id"][:10], "--json")
    assert unconfirmed.exit_code == ExitCode.USAGE and "'B'" in str(_error(unconfirmed)["message"])
    done = cli("A", "devices", "--revoke", other["device_id"][:10], "--yes", "--json")
    assert done.exit_code == 0, done.output
    assert as_json(done) == {"revoked": other["device_id"], "name": "B"}
    assert cli("B", "sync").exit_code == ExitCode.SESSION_REVOKED


def test_devices_table_shows_whole_ids_on_a_narrow_terminal(cli: Run) -> None:
    _signup(cli)
    device_id = as_json(cli("A", "devices", "--json"))[0]["device_id"]
    shown = cli("A", "devices", env={"COLUMNS": "60"})
    assert shown.exit_code == 0
    assert "…" not in shown.stdout
    assert device_id in shown.stdout


def test_damaged_kdf_params_say_the_local_vault_is_damaged(cli: Run, tmp_path: Path) -> None:
    _signup(cli)
    (vault_file,) = (tmp_path / "A" / "vaults").glob("*.db")
    with sqlite3.connect(vault_file) as db:
        db.execute("UPDATE meta SET value = '{not json' WHERE key = 'kdf_params'")
    for args in (["list"], ["list", "--json"]):
        result = cli("A", *args)
        assert result.exit_code == ExitCode.TAMPERED
        text = str(_error(result)["message"]) if "--json" in args else result.stderr
        assert "local vault is damaged" in text and "kdf_params" in text
        assert "JSONDecodeError" not in result.output


# --- keychain ------------------------------------------------------------------------------


@pytest.fixture
def locked_keyring() -> Iterator[None]:
    previous = keyring.get_keyring()
    keyring.set_keyring(LockedKeyring())
    yield
    keyring.set_keyring(previous)


def test_signup_with_a_locked_keychain_still_shows_and_keeps_the_key(
    cli: Run, locked_keyring: None, tmp_path: Path
) -> None:
    env = {"SAFEHOLD_KEYSTORE": "auto"}
    result = cli("A", "signup", EMAIL, "--json", env=env)
    assert result.exit_code == 0, result.output
    body = as_json(result)
    assert body["account_key"].startswith("SH1-")
    assert "refused" in body["keystore"]
    assert "the account key is kept in a 0600 file instead" in result.stderr
    (key_file,) = (tmp_path / "A" / "keys").glob("*.key")
    assert key_file.read_text().strip() == body["account_key"]
    status = as_json(cli("A", "status", "--json", env=env))
    # The backend by its real name (issue 12 item 12), not a generic "OS keychain".
    assert status["keystore"].startswith("file (0600) (the keyring backend ")
    assert status["keystore"].endswith("LockedKeyring refused it)")
    assert cli("A", "list", "--json", env=env).exit_code == 0
    again = cli("A", "signup", EMAIL, "--json", env=env)
    assert again.exit_code != 0  # the account exists: it was not orphaned, it was created once


# --- sync reports --------------------------------------------------------------------------


def test_sync_reports_items_restored_after_a_delete(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    assert cli("A", "add", "login", "--title", "Router", "--field", "password=r1").exit_code == 0
    assert cli("A", "sync").exit_code == 0
    assert cli("B", "login", EMAIL, "--account-key", key).exit_code == 0
    # --purge: a deletion, not a move to the trash (which is an edit, merged as one).
    assert cli("A", "rm", "Router", "--purge").exit_code == 0
    assert cli("B", "edit", "Router", "--field", "password=r2").exit_code == 0
    assert cli("B", "sync").exit_code == 0
    synced = cli("A", "sync", "--json")
    assert synced.exit_code == 0, synced.output
    restored = as_json(synced)["restored"]
    assert [r["title"] for r in restored] == ["Router"]
    assert cli("A", "get", "Router", "--field", "password").stdout == "r2\n"
    assert cli("B", "edit", "Router", "--field", "password=r3").exit_code == 0
    assert cli("B", "sync").exit_code == 0
    assert cli("A", "rm", "Router", "--purge").exit_code == 0
    human = cli("A", "sync")
    assert human.exit_code == 0
    assert "restored:" in human.stdout and "Router" in human.stdout


def test_add_of_an_item_too_large_to_sync_exits_14(cli: Run) -> None:
    _signup(cli)
    result = cli("A", "add", "secure note", "--title", "Huge", "--notes", "x" * MAX_ENVELOPE_CHARS, "--json")
    assert result.exit_code == ExitCode.ITEM_TOO_LARGE == 14
    assert _error(result)["kind"] == "item_too_large"
    assert as_json(cli("A", "list", "--json")) == []


def test_sync_pushes_the_rest_and_reports_an_item_the_server_refuses(cli: Run, tmp_path: Path) -> None:
    _signup(cli)
    assert cli("A", "add", "login", "--title", "Small").exit_code == 0
    # An item queued by a client without the size check: over the server's 1 MiB.
    unlocked = _service(tmp_path, "A").unlock(PASSWORD, online=False)
    try:
        item_id = "ab" * 16
        envelope = unlocked.cipher.seal_item(
            bytes.fromhex(item_id), {"title": "Oversized", "notes": "z" * 900_000}
        )
        unlocked.store.save_local(item_id, envelope)
    finally:
        unlocked.close()
    synced = cli("A", "sync", "--json")
    assert synced.exit_code == ExitCode.ITEM_TOO_LARGE, synced.output
    body = as_json(synced)
    assert body["pushed"] == 1
    assert body["rejected"] == [{"item_id": item_id, "title": "Oversized"}]
    assert as_json(cli("A", "status", "--json"))["pending"] == 1
    human = cli("A", "sync")
    assert human.exit_code == ExitCode.ITEM_TOO_LARGE
    assert "Oversized" in human.stderr and "too large" in human.stderr


def test_status_lists_conflict_copies_with_titles_only_when_unlocked(cli: Run, tmp_path: Path) -> None:
    key = _signup(cli)["account_key"]
    assert cli("A", "add", "login", "--title", "Mail", "--field", "username=x").exit_code == 0
    assert cli("A", "sync").exit_code == 0
    assert cli("B", "login", EMAIL, "--account-key", key).exit_code == 0
    assert cli("A", "edit", "Mail", "--field", "username=from-a").exit_code == 0
    assert cli("B", "edit", "Mail", "--field", "username=from-b").exit_code == 0
    assert cli("A", "sync").exit_code == 0
    assert cli("B", "sync").exit_code == ExitCode.CONFLICTS
    assert cli("A", "sync").exit_code == 0
    for profile in ("A", "B"):
        (copy,) = as_json(cli(profile, "status", "--json"))["conflicts"]
        assert copy["title"].startswith("Mail (conflict copy from B, ")
        locked = as_json(cli(profile, "status", "--json", password=None))["conflicts"]
        assert [c["copy_id"] for c in locked] == [copy["copy_id"]] and locked[0]["title"] is None
        human = cli(profile, "status", password=None)
        assert copy["copy_id"] in human.stdout and "(unlock to see the title)" in human.stdout
    # The vault files hold no title of the copy in clear.
    for vault_file in (tmp_path / "A" / "vaults").glob("*.db*"):
        assert b"conflict copy from" not in vault_file.read_bytes()
    assert cli("B", "rm", copy["copy_id"]).exit_code == 0
    assert cli("B", "sync").exit_code == 0 and cli("A", "sync").exit_code == 0
    assert as_json(cli("A", "status", "--json"))["conflicts"] == []


def test_unlock_with_an_unsafe_agent_directory_warns_and_keeps_nothing(cli: Run, tmp_path: Path) -> None:
    _signup(cli)
    runtime = tmp_path / "shared-run"
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o755)  # as if made by someone else's umask: others can look in
    env = {"SAFEHOLD_RUNTIME_DIR": str(runtime)}
    result = cli("A", "unlock", "--json", env=env)
    assert result.exit_code == 0, result.output
    # The agent moves to the profile (issue 12 item 13), and says so.
    assert as_json(result)["unlocked"] is True
    assert "0755" in result.stderr and str(tmp_path / "A" / "run") in result.stderr
    assert list(runtime.iterdir()) == []  # no agent socket was made there
    try:
        assert cli("A", "list", password=None, env=env).exit_code == 0
    finally:
        cli("A", "lock", env=env)


def test_unlock_with_no_safe_agent_directory_warns_and_keeps_nothing(cli: Run, tmp_path: Path) -> None:
    _signup(cli)
    runtime = tmp_path / "shared-run"
    runtime.mkdir(mode=0o700)
    runtime.chmod(0o755)
    (tmp_path / "A" / "run").write_text("not a directory")  # and the fallback is unusable
    env = {"SAFEHOLD_RUNTIME_DIR": str(runtime)}
    result = cli("A", "unlock", "--json", env=env)
    assert result.exit_code == ExitCode.AGENT_UNAVAILABLE, result.output
    body = as_json(result)
    assert body["unlocked"] is False and "0755" in body["agent_refused"]
    assert "the password will be asked each time" in result.stderr
    assert list(runtime.iterdir()) == []  # no agent socket was made there
    locked = cli("A", "list", password=None, env=env)
    assert locked.exit_code == ExitCode.LOCKED
    assert "not using the agent" in locked.stderr


def test_revoke_and_rename_by_name(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    for profile in ("B", "C"):
        assert cli(profile, "login", EMAIL, "--account-key", key).exit_code == 0
    renamed = cli("A", "devices", "--rename", "b", "Old laptop", "--json")
    assert renamed.exit_code == 0, renamed.output
    assert as_json(renamed)["from"] == "B" and as_json(renamed)["name"] == "Old laptop"
    names = {d["name"] for d in as_json(cli("A", "devices", "--json"))}
    assert names == {"A", "Old laptop", "C"}
    # This device's own name, kept locally too.
    assert cli("A", "devices", "--rename", "A", "Desk", "--json").exit_code == 0
    assert as_json(cli("A", "status", "--json"))["device_name"] == "Desk"
    done = cli("A", "devices", "--revoke", "old", "--yes")
    assert done.exit_code == 0 and "Signed out 'Old laptop'" in done.stdout
    assert cli("B", "sync").exit_code == ExitCode.SESSION_REVOKED
    assert cli("C", "sync").exit_code == 0
    error = cli("A", "devices", "--rename", "nobody", "x", "--json")
    assert error.exit_code == ExitCode.NOT_FOUND


def test_a_sync_that_kept_conflict_copies_is_a_notice_not_an_error(cli: Run) -> None:
    key = _signup(cli)["account_key"]
    assert cli("A", "add", "login", "--title", "Mail", "--field", "username=x").exit_code == 0
    assert cli("A", "sync").exit_code == 0
    assert cli("B", "login", EMAIL, "--account-key", key).exit_code == 0
    assert cli("A", "edit", "Mail", "--field", "username=from-a").exit_code == 0
    assert cli("B", "edit", "Mail", "--field", "username=from-b").exit_code == 0
    assert cli("A", "sync").exit_code == 0
    kept = cli("B", "sync")
    assert kept.exit_code == ExitCode.CONFLICTS
    assert "notice:" in kept.stderr and "error" not in kept.stderr and "conflict cop" in kept.stderr
    assert "Synced:" in kept.stdout


def test_human_durations() -> None:
    from safehold.cli.account_cmds import human_duration

    cases = {20: "20 seconds", 1: "1 second", 60: "1 minute", 90: "90 seconds", 600: "10 minutes",
             3600: "1 hour", 5400: "1 hour 30 minutes", 7200: "2 hours"}  # fmt: skip
    assert {s: human_duration(s) for s in cases} == cases
