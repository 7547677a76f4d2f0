"""A backup made on a server vault restores into a folder vault, and the other way round
(issue 11 §4): a backup is sealed under the account's own keys, not the transport's, so
where the vault syncs does not matter."""

from __future__ import annotations

import functools
from pathlib import Path

from tests.unit.cli.conftest import Run, as_json

PASSWORD = "maple quartz lantern 48 orbit"
OTHER_PASSWORD = "violet harbour 93 cobble stone"
ENV = {"SAFEHOLD_BACKUP_EVERY": "0"}


def _backup_of(run: Run, signup_args: list[str], target: Path) -> str:
    """Sign up (``signup_args``), add two items, back up to ``target``; the account key."""
    made = run("signup", *signup_args, "--json")
    assert made.exit_code == 0, made.output
    for title in ("GitHub", "Bank"):
        assert run("add", "login", "--title", title, "-f", f"password={title}-pw").exit_code == 0
    assert run("backup", str(target)).exit_code == 0
    return str(as_json(made)["account_key"])


def _restore_into(cli: Run, profile: str, target: Path, key: str) -> list[str]:
    env = {**ENV, "SAFEHOLD_OLD_PASSWORD": PASSWORD}
    done = cli(profile, "restore", str(target), "--account-key", key, "--json",
               password=OTHER_PASSWORD, env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    assert len(as_json(done)["restored"]) == 2
    listed = cli(profile, "list", "--json", password=OTHER_PASSWORD, env=ENV)
    return sorted(entry["title"] for entry in as_json(listed))


def test_a_server_vaults_backup_restores_into_a_folder_vault(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "server.shbackup"
    key = _backup_of(functools.partial(cli, "A", password=PASSWORD, env=ENV), ["ann@example.com"], target)
    folder = tmp_path / "Dropbox" / "Safehold"
    other: Run = functools.partial(cli, "B", password=OTHER_PASSWORD, env=ENV)
    made = other("signup", "bob@example.com", "--folder", str(folder), "--json")
    assert made.exit_code == 0, made.output
    assert _restore_into(cli, "B", target, key) == ["Bank", "GitHub"]
    got = other("get", "Bank", "--json")
    assert as_json(got)["fields"]["password"] == "Bank-pw"
    # The restored items reach the folder: another device of the folder vault gets them.
    assert other("sync", "--json").exit_code == 0
    joined = cli("C", "login", "bob@example.com", "--folder", str(folder),
                 "--account-key", as_json(made)["account_key"], "--json",
                 password=OTHER_PASSWORD, env=ENV)  # fmt: skip
    assert joined.exit_code == 0, joined.output
    listed = cli("C", "list", "--json", password=OTHER_PASSWORD, env=ENV)
    assert sorted(entry["title"] for entry in as_json(listed)) == ["Bank", "GitHub"]


def test_a_folder_vaults_backup_restores_into_a_server_vault(cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "folder.shbackup"
    folder = tmp_path / "Syncthing" / "Safehold"
    run: Run = functools.partial(cli, "A", password=PASSWORD, env=ENV)
    key = _backup_of(run, ["ann@example.com", "--folder", str(folder)], target)
    other: Run = functools.partial(cli, "B", password=OTHER_PASSWORD, env=ENV)
    assert other("signup", "bob@example.com", "--json").exit_code == 0
    assert _restore_into(cli, "B", target, key) == ["Bank", "GitHub"]
    assert as_json(other("get", "GitHub", "--json"))["fields"]["password"] == "GitHub-pw"
    assert as_json(other("status", "--json"))["transport"]["kind"] == "server"
