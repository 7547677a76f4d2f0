"""Folder vaults through the CLI, no server involved: signup/login/unlock/change-password/
reset with --folder, every error path with its exit code, every other command unchanged,
and two devices on two folders joined by a sync-service copier."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

from tests.support.syncservice import SyncService
from tests.unit.cli.conftest import EMAIL, Run, as_json
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD, THIRD_PASSWORD

from safehold.client.errors import ExitCode
from safehold.crypto import AccountKey


def _error(result: Any) -> dict[str, Any]:
    return json.loads(result.stdout)["error"]  # type: ignore[no-any-return]


def _ok(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return as_json(result) if result.stdout.startswith(("{", "[")) else result.stdout


def _signup(cli: Run, folder: Path, profile: str = "A", email: str = EMAIL) -> dict[str, Any]:
    return _ok(cli(profile, "signup", email, "--folder", str(folder), "--json"))  # type: ignore[no-any-return]


def _titles(cli: Run, profile: str, password: str = PASSWORD) -> list[str]:
    return sorted(i["title"] for i in _ok(cli(profile, "list", "--json", password=password)))


# --- sign-up, sign-in, status -------------------------------------------------------------


def test_signup_in_a_folder_then_another_device_joins_it(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "Dropbox" / "Safehold"
    made = _signup(cli, folder)
    assert made["transport"] == "folder" and made["folder"] == str(folder) and made["server"] is None
    assert (folder / "safehold-folder.json").exists() and (folder / "g1").is_dir()
    # The header keeps nothing secret: no password, no key, no item text.
    header = (folder / "safehold-folder.json").read_text()
    assert PASSWORD not in header and made["account_key"] not in header
    _ok(cli("A", "add", "login", "--title", "GitHub", "-f", "username=ann"))
    _ok(cli("A", "sync", "--json"))
    joined = _ok(
        cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", made["account_key"], "--json")
    )
    assert joined["items"] == 1 and joined["transport"] == "folder"
    assert _titles(cli, "B") == ["GitHub"]
    status = _ok(cli("B", "status", "--json"))
    assert status["transport"] == {"kind": "folder", "where": str(folder)} and status["server"] is None
    assert status["device_id"] != _ok(cli("A", "status", "--json"))["device_id"]
    human = cli("B", "status")
    assert "Folder" in human.stdout and "Server" not in human.stdout


def test_the_kit_of_a_folder_vault_names_the_folder_and_login_uses_it(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    _signup(cli, folder)
    png = tmp_path / "kit.png"
    shown = _ok(cli("A", "kit", "--png", str(png), "--json"))
    assert shown["folder"] == str(folder) and shown["server"] is None
    joined = _ok(cli("B", "login", EMAIL, "--kit", str(png), "--json"))
    assert joined["folder"] == str(folder)
    # On a device that mounts the folder elsewhere, the kit's path is wrong: it says so,
    # and --folder gives the path as this device sees it.
    elsewhere = tmp_path / "mounted-elsewhere"
    folder.rename(elsewhere)
    missing = cli("C", "login", EMAIL, "--kit", str(png), "--json")
    assert missing.exit_code == ExitCode.NOT_A_FOLDER_VAULT and "--folder" in _error(missing)["hint"]
    _ok(cli("C", "login", EMAIL, "--kit", str(png), "--folder", str(elsewhere)))


def test_every_command_works_unchanged_on_a_folder_vault(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    _signup(cli, folder)
    _ok(cli("A", "add", "login", "--title", "Mail", "-f", "username=ann"))
    _ok(cli("A", "edit", "Mail", "-f", "username=ann2"))
    assert "ann2" in _ok(cli("A", "get", "Mail", "--field", "username"))
    history = cli("A", "history", "Mail")
    assert history.exit_code == 0, history.output
    assert cli("A", "report").exit_code in (0, 1), "report runs"
    backup = tmp_path / "b.shbak"
    _ok(cli("A", "backup", str(backup)))
    _ok(cli("A", "sync"))
    _ok(cli("A", "rm", "Mail"))
    _ok(cli("A", "sync"))
    assert _titles(cli, "A") == []


def test_logout_of_a_folder_vault_and_login_again(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    _signup(cli, folder)
    _ok(cli("A", "add", "login", "--title", "Kept", "-f", "username=ann"))
    _ok(cli("A", "sync"))
    _ok(cli("A", "logout", "--yes"))
    assert cli("A", "list").exit_code == ExitCode.SESSION_REVOKED
    # Without --folder it is a server sign-in: the folder vault's key is not offered to one.
    assert cli("A", "login", EMAIL, "--json").exit_code == ExitCode.USAGE
    # The key went into an archive with the vault; signing in again with the password alone
    # finds it there.
    _ok(cli("A", "login", EMAIL, "--folder", str(folder)))
    assert _titles(cli, "A") == ["Kept"]


def test_rotate_key_on_a_folder_vault_other_devices_keep_their_data(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    old_key = _signup(cli, folder)["account_key"]
    _ok(cli("A", "add", "login", "--title", "Shared", "-f", "username=ann"))
    _ok(cli("A", "sync"))
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", old_key))
    b_device = _ok(cli("B", "status", "--json"))["device_id"]
    _ok(cli("B", "add", "login", "--title", "Only on B", "-f", "username=bee"))
    kit = tmp_path / "new-kit.pdf"
    rotated = _ok(cli("A", "rotate-key", "--kit", str(kit), "--json"))
    new_key = rotated["account_key"]
    assert new_key != old_key and kit.exists()
    assert rotated["folder"] == str(folder) and rotated["server"] is None
    header = (folder / "safehold-folder.json").read_text()
    assert new_key not in header and PASSWORD not in header
    assert _titles(cli, "A") == ["Shared"]  # this device goes on with the new key
    # B's next unlock finds the new key check: it is told why, and how to go on.
    refused = cli("B", "list", "--json")
    assert refused.exit_code == ExitCode.SESSION_REVOKED, refused.output
    assert _error(refused)["kind"] == "key_rotated" and "--folder" in _error(refused)["hint"]
    # The old key no longer joins; the new one does, and B keeps its vault, its unsynced
    # item and its device id (its writes stay numbered in one sequence).
    stale = cli("C", "login", EMAIL, "--folder", str(folder), "--account-key", old_key, "--json")
    assert stale.exit_code == ExitCode.ACCOUNT_KEY and _error(stale)["kind"] == "wrong_account_key"
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", new_key))
    assert _ok(cli("B", "status", "--json"))["device_id"] == b_device
    assert _titles(cli, "B") == ["Only on B", "Shared"]
    _ok(cli("B", "sync"))
    _ok(cli("A", "sync"))
    assert _titles(cli, "A") == ["Only on B", "Shared"]
    assert not [r for r in _ok(cli("A", "sync", "--json")).get("refused", [])]


def test_devices_of_a_folder_vault_are_the_ones_that_wrote_to_it(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    alone = _ok(cli("A", "devices", "--json"))
    a_id = _ok(cli("A", "status", "--json"))["device_id"]
    assert [(d["device_id"], d["current"]) for d in alone] == [(a_id, True)]
    _ok(cli("A", "add", "login", "--title", "One", "-f", "username=ann"))
    _ok(cli("A", "sync"))
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key))
    _ok(cli("B", "add", "login", "--title", "Two", "-f", "username=bee"))
    _ok(cli("B", "sync"))
    _ok(cli("A", "sync"))
    b_id = _ok(cli("B", "status", "--json"))["device_id"]
    listed = {d["device_id"]: d for d in _ok(cli("A", "devices", "--json"))}
    assert set(listed) == {a_id, b_id} and listed[a_id]["current"] and not listed[b_id]["current"]
    assert listed[b_id]["writes_seen"] >= 1 and listed[b_id]["last_write"] is not None
    human = cli("A", "devices")
    assert human.exit_code == 0 and b_id in human.stdout and "this one" in human.stdout
    # No sessions to sign out, no names to change: it says so, and what to do instead.
    for args in (["--revoke", b_id[:8], "--yes"], ["--rename", b_id[:8], "phone"]):
        refused = cli("A", "devices", *args, "--json")
        assert refused.exit_code == ExitCode.USAGE, refused.output
        assert _error(refused)["kind"] == "server_only" and "rotate-key" in _error(refused)["hint"]


# --- errors and exit codes ----------------------------------------------------------------


def test_login_errors_each_have_their_code(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    other = AccountKey.generate().to_text()

    def login(*args: str, password: str = PASSWORD) -> dict[str, Any]:
        result = cli("B", "login", EMAIL, "--json", *args, password=password)
        assert result.exit_code != 0, result.output
        return {**_error(result), "exit": result.exit_code}

    wrong_password = login("--folder", str(folder), "--account-key", key, password="not the password 1")
    assert (wrong_password["exit"], wrong_password["kind"]) == (ExitCode.AUTH_FAILED, "auth_failed")
    assert wrong_password["message"] == "password incorrect"
    wrong_key = login("--folder", str(folder), "--account-key", other)
    assert (wrong_key["exit"], wrong_key["kind"]) == (ExitCode.ACCOUNT_KEY, "wrong_account_key")
    typo = key[:-1] + ("X" if key[-1] != "X" else "Y")
    mistyped = login("--folder", str(folder), "--account-key", typo)
    assert mistyped["exit"] == ExitCode.ACCOUNT_KEY and mistyped["kind"] == "account_key"
    (tmp_path / "empty").mkdir()
    for nothing in (tmp_path / "empty", tmp_path / "missing"):
        none = login("--folder", str(nothing), "--account-key", key)
        assert (none["exit"], none["kind"]) == (ExitCode.NOT_A_FOLDER_VAULT, "not_a_folder_vault")
    foreign = cli("B", "login", "bob@example.com", "--json", "--folder", str(folder), "--account-key", key)
    assert foreign.exit_code == ExitCode.FOREIGN_FOLDER_VAULT, foreign.output
    assert _error(foreign)["kind"] == "foreign_folder_vault"
    # Nothing was left behind by the failures: the right key and password still join.
    assert cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key).exit_code == 0


def test_a_damaged_header_and_an_existing_vault(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    exists = cli("B", "signup", EMAIL, "--folder", str(folder), "--json")
    assert exists.exit_code == ExitCode.FOLDER_EXISTS and _error(exists)["kind"] == "folder_exists"
    (folder / "safehold-folder.json").write_text('{"format": "safehold-folder", "version": 1, "generation')
    damaged = cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key, "--json")
    assert damaged.exit_code == ExitCode.FOLDER_DAMAGED and _error(damaged)["kind"] == "folder_damaged"
    # The device that has the vault keeps working from its own copy.
    assert _titles(cli, "A") == []


def test_reset_of_a_folder_whose_header_cannot_be_read_needs_force_and_keeps_everything(
    cli: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "vault"
    _signup(cli, folder)
    _ok(cli("A", "add", "login", "--title", "Before", "-f", "username=ann"))
    _ok(cli("A", "sync"))
    account = _ok(cli("A", "status", "--json"))["account_id"]
    broken = '{"format": "safehold-folder", "version": 1, "generation'
    (folder / "safehold-folder.json").write_text(broken)
    new = {"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD}
    # Without --force: the damage is named, and the way forward offered.
    refused = cli("A", "reset", "--folder", str(folder), "--yes", "--json", env=new)
    assert refused.exit_code == ExitCode.FOLDER_DAMAGED and "--force" in _error(refused)["hint"]
    assert (folder / "safehold-folder.json").read_text() == broken
    # --force needs the email (the header cannot say it) and goes with --folder only.
    noemail = cli("A", "reset", "--folder", str(folder), "--force", "--yes", "--json", env=new)
    assert noemail.exit_code == ExitCode.USAGE and "EMAIL" in _error(noemail)["message"]
    alone = cli("A", "reset", EMAIL, "--force", "--json", env=new)
    assert alone.exit_code == ExitCode.USAGE and "--folder" in _error(alone)["message"]
    done = _ok(cli("A", "reset", EMAIL, "--folder", str(folder), "--force", "--yes", "--json", env=new))
    # The same account (this device's), a generation above every one in the folder, and the
    # unreadable header and old files kept in archive/.
    assert done["account_id"] == account and done["generation"] == 2
    archived = sorted(p.name for p in (folder / "archive").iterdir())
    assert "g1" in archived and any(n.startswith("safehold-folder.json.unreadable-g1") for n in archived)
    assert [a.read_text() for a in (folder / "archive").glob("safehold-folder.json.*")] == [broken]
    assert _titles(cli, "A", NEW_PASSWORD) == []
    # This device's old copy is an archive it can restore from, with the old password.
    archives = _ok(cli("A", "archive", "list", "--json", password=None))["archives"]
    assert len(archives) == 1 and archives[0]["items"] == 1
    _ok(cli("A", "archive", "restore", archives[0]["id"], password=NEW_PASSWORD,
            env={"SAFEHOLD_OLD_PASSWORD": PASSWORD}))  # fmt: skip
    assert _titles(cli, "A", NEW_PASSWORD) == ["Before"]
    # Another device joins the new generation with the new key.
    _ok(cli("A", "sync", password=NEW_PASSWORD))
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", done["account_key"],
            password=NEW_PASSWORD))  # fmt: skip
    assert _titles(cli, "B", NEW_PASSWORD) == ["Before"]


def test_a_header_not_downloaded_yet_is_unreachable_for_now(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    icloud = tmp_path / "icloud"
    icloud.mkdir()
    # iCloud Drive shows a file it has not downloaded as a placeholder.
    (icloud / ".safehold-folder.json.icloud").write_bytes(b"placeholder")
    later = cli("B", "login", EMAIL, "--folder", str(icloud), "--account-key", key, "--json")
    assert later.exit_code == ExitCode.UNREACHABLE and _error(later)["kind"] == "unreachable"
    shutil.copytree(folder, icloud, dirs_exist_ok=True)
    _ok(cli("B", "login", EMAIL, "--folder", str(icloud), "--account-key", key))


def test_a_header_asking_for_a_weaker_kdf_than_this_device_accepts_is_refused(
    cli: Run, tmp_path: Path
) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]  # at the tests' cost, t=1, 8 KiB
    weak = cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key, "--json",
               env={"SAFEHOLD_KDF_FLOOR": "2,16,1"})  # fmt: skip
    assert weak.exit_code == ExitCode.KDF_REFUSED and _error(weak)["kind"] == "kdf_refused"


def test_server_and_folder_together_is_a_usage_error(cli: Run, tmp_path: Path) -> None:
    for command in (["signup", EMAIL], ["login", EMAIL, "--account-key", "SH1-X"], ["reset"]):
        result = cli("A", *command, "--folder", str(tmp_path), "--server", "http://x", "--json")
        assert result.exit_code == ExitCode.USAGE, result.output


def test_an_unreadable_folder_is_unreachable_and_reads_still_work(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    _signup(cli, folder)
    _ok(cli("A", "add", "login", "--title", "Kept", "-f", "username=ann"))
    moved = tmp_path / "unmounted"
    folder.rename(moved)
    # Unlocking and reading need no folder; sync says what is wrong.
    assert _titles(cli, "A") == ["Kept"]
    failed = cli("A", "sync", "--json")
    assert failed.exit_code == ExitCode.NOT_A_FOLDER_VAULT, failed.output
    moved.rename(folder)
    _ok(cli("A", "sync"))


# --- password change and reset --------------------------------------------------------------


def test_password_change_reaches_other_devices_and_the_old_one_is_refused(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key))
    old_header = (folder / "safehold-folder.json").read_bytes()
    _ok(cli("A", "change-password", "--hint", "the green one", env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD}))
    header = json.loads((folder / "safehold-folder.json").read_text())
    assert header["keyset_version"] == 2 and header["hint"] == "the green one"
    # B has not unlocked since: its old password is refused, with a hint why.
    old = cli("B", "list", "--json", password=PASSWORD)
    assert old.exit_code == ExitCode.AUTH_FAILED and "changed on another device" in _error(old)["hint"]
    assert _titles(cli, "B", NEW_PASSWORD) == []
    assert cli("B", "list", password=PASSWORD).exit_code == ExitCode.AUTH_FAILED
    # A new device joins with the new password only.
    assert (
        cli("C", "login", EMAIL, "--folder", str(folder), "--account-key", key).exit_code
        == ExitCode.AUTH_FAILED
    )
    # Storage rolling the header back does not bring the old password back on a device
    # that has seen the new one.
    (folder / "safehold-folder.json").write_bytes(old_header)
    assert cli("B", "list", password=PASSWORD).exit_code == ExitCode.AUTH_FAILED
    assert cli("B", "list", password=NEW_PASSWORD).exit_code == 0


def test_change_password_twice_on_two_devices(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key))
    _ok(cli("A", "change-password", env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD}))
    _ok(cli("B", "change-password", password=NEW_PASSWORD, env={"SAFEHOLD_NEW_PASSWORD": THIRD_PASSWORD}))
    assert cli("A", "list", password=NEW_PASSWORD).exit_code == ExitCode.AUTH_FAILED
    assert cli("A", "list", password=THIRD_PASSWORD).exit_code == 0


def test_reset_of_a_folder_vault_archives_everywhere_and_loses_nothing(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    _ok(cli("A", "add", "login", "--title", "Old item", "-f", "username=ann"))
    _ok(cli("A", "sync"))
    _ok(cli("B", "login", EMAIL, "--folder", str(folder), "--account-key", key))
    _ok(cli("A", "add", "login", "--title", "Unsynced on A", "-f", "username=ann"))
    new = {"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD}
    refused = cli("B", "reset", "--folder", str(folder), "--json", env=new)
    assert refused.exit_code == ExitCode.USAGE, "a reset needs --yes (or RESET typed)"
    reset = _ok(cli("B", "reset", "--folder", str(folder), "--yes", "--json", env=new))
    assert reset["generation"] == 2 and reset["account_key"] != key and len(reset["archived"]) == 1
    # The old generation is moved into the folder's archive, not deleted.
    assert not (folder / "g1").exists() and any((folder / "archive" / "g1").iterdir())
    assert _titles(cli, "B", NEW_PASSWORD) == []
    # A sees the reset at its next command: it archives its copy, with the unsynced edit.
    seen = cli("A", "sync", "--json")
    assert seen.exit_code == ExitCode.ACCOUNT_RESET, seen.output
    error = _error(seen)
    assert error["archive"] and str(folder) in error["message"] and "--folder" in error["hint"]
    archives = _ok(cli("A", "archive", "list", "--json", password=None))["archives"]
    assert [(a["items"], a["unsynced"]) for a in archives] == [(2, 1)]
    # The old key no longer fits; the new one joins generation 2.
    stale = cli("A", "login", EMAIL, "--folder", str(folder), "--account-key", key, "--json")
    assert stale.exit_code == ExitCode.ACCOUNT_KEY
    _ok(cli("A", "login", EMAIL, "--folder", str(folder), "--account-key", reset["account_key"],
            password=NEW_PASSWORD))  # fmt: skip
    _ok(cli("A", "archive", "restore", error["archive"], password=NEW_PASSWORD,
            env={"SAFEHOLD_OLD_PASSWORD": PASSWORD}))  # fmt: skip
    _ok(cli("A", "sync", password=NEW_PASSWORD))
    _ok(cli("B", "sync", password=NEW_PASSWORD))
    assert _titles(cli, "B", NEW_PASSWORD) == ["Old item", "Unsynced on A"]


# --- two folders joined by a sync service ---------------------------------------------------


def test_two_devices_on_two_folders_joined_by_a_sync_service(cli: Run, tmp_path: Path) -> None:
    here, there = tmp_path / "laptop" / "Dropbox", tmp_path / "phone" / "Dropbox"
    key = _signup(cli, here)["account_key"]
    there.mkdir(parents=True)
    service = SyncService([here, there])
    service.settle()
    _ok(cli("B", "login", EMAIL, "--folder", str(there), "--account-key", key))
    for n in range(3):
        _ok(cli("A", "add", "login", "--title", f"A{n}", "-f", "username=a"))
        _ok(cli("B", "add", "login", "--title", f"B{n}", "-f", "username=b"))
        _ok(cli("A", "sync"))
        _ok(cli("B", "sync"))
        # Half-copied files, conflicted copies in every service's spelling, late files.
        service.truncate_rate, service.conflict_rate = 0.3, 0.5
        for _ in range(4):
            service.step()
        # Nothing in the folder makes a sync fail.
        _ok(cli("A", "sync"))
        _ok(cli("B", "sync"))
    service.settle()
    for _ in range(2):
        _ok(cli("A", "sync"))
        _ok(cli("B", "sync"))
        service.settle()
    expected = sorted([f"A{n}" for n in range(3)] + [f"B{n}" for n in range(3)])
    assert _titles(cli, "A") == expected
    assert _titles(cli, "B") == expected


def test_a_copy_of_the_folder_made_by_hand_is_another_place_to_join(cli: Run, tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    key = _signup(cli, folder)["account_key"]
    _ok(cli("A", "add", "login", "--title", "One", "-f", "username=a"))
    _ok(cli("A", "sync"))
    copy = tmp_path / "usb"
    shutil.copytree(folder, copy)
    _ok(cli("B", "login", EMAIL, "--folder", str(copy), "--account-key", key))
    assert _titles(cli, "B") == ["One"]
