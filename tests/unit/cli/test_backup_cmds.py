"""``safehold backup`` and ``safehold restore`` through the CLI: a backup survives a password
change, a restore merges (deleted items come back, edited ones keep both versions, a second
restore changes nothing), --dry-run writes nothing, a backup with its own password opens in
another account, automatic backups every few changes keep the newest few, and error paths."""

from __future__ import annotations

import functools
import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.cli.conftest import Run, as_json

from safehold.client.errors import ExitCode

PASSWORD = "maple quartz lantern 48 orbit"
NEW_PASSWORD = "violet harbour 93 cobble stone"


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    run: Run = functools.partial(cli, password=PASSWORD, env={"SAFEHOLD_BACKUP_EVERY": "0"})
    assert run("A", "signup", "ann@example.com", "--json").exit_code == 0
    run = functools.partial(run, "A")
    for title in ("GitHub", "Bank", "Mail"):
        assert run("add", "login", "--title", title, "-f", f"password={title}-pw").exit_code == 0
    yield run


def _titles(sh: Run) -> list[str]:
    return sorted(entry["title"] for entry in as_json(sh("list", "--json")))


def test_restore_after_a_password_change_merges_and_loses_nothing(sh: Run, cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "b.shbackup"
    made = as_json(sh("backup", str(target), "--json"))
    assert made["items"] == 3 and stat.S_IMODE(target.stat().st_mode) == 0o600
    assert b"GitHub-pw" not in target.read_bytes()
    changed = cli("A", "change-password", password=PASSWORD, env={"SAFEHOLD_NEW_PASSWORD": NEW_PASSWORD})
    assert changed.exit_code == 0, changed.output
    after: Run = functools.partial(cli, "A", password=NEW_PASSWORD, env={"SAFEHOLD_BACKUP_EVERY": "0"})
    assert after("rm", "Bank").exit_code == 0
    assert after("edit", "GitHub", "-f", "password=changed-since").exit_code == 0

    dry = as_json(after("restore", str(target), "--dry-run", "--json"))
    assert len(dry["restored"]) == 1 and len(dry["copies"]) == 1 and dry["unchanged"] == 1
    assert _titles(after) == ["GitHub", "Mail"]

    done = as_json(after("restore", str(target), "--json"))
    assert done["opened_with"] == "vault-key"
    titles = _titles(after)
    assert "Bank" in titles and "GitHub" in titles
    copy = next(t for t in titles if t.startswith("GitHub (conflict copy from backup"))
    assert as_json(after("get", copy, "--json"))["fields"]["password"] == "GitHub-pw"
    assert as_json(after("get", "GitHub", "--json"))["fields"]["password"] == "changed-since"

    again = as_json(after("restore", str(target), "--json"))
    assert again["restored"] == [] and again["copies"] == [] and again["unchanged"] == 3


def test_a_backup_with_its_own_password_opens_in_another_account(sh: Run, cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "own.shbackup"
    made = sh("backup", str(target), "--backup-password-stdin", "--json", input="backup secret 1\n")
    assert made.exit_code == 0, made.output
    assert as_json(made)["has_password"] is True
    other: Run = functools.partial(cli, "B", password=PASSWORD, env={"SAFEHOLD_BACKUP_EVERY": "0"})
    assert other("signup", "bob@example.com", "--json").exit_code == 0
    wrong = other("restore", str(target), "--backup-password-stdin", "--json", input="nope\n")
    assert wrong.exit_code == ExitCode.TAMPERED
    result = other("restore", str(target), "--backup-password-stdin", "--json", input="backup secret 1\n")
    assert result.exit_code == 0, result.output
    assert as_json(result)["opened_with"] == "password"
    assert _titles(other) == ["Bank", "GitHub", "Mail"]


def test_without_its_own_password_another_account_cannot_open_it(sh: Run, cli: Run, tmp_path: Path) -> None:
    target = tmp_path / "plain.shbackup"
    assert sh("backup", str(target)).exit_code == 0
    other: Run = functools.partial(cli, "B", password=PASSWORD)
    assert other("signup", "bob@example.com", "--json").exit_code == 0
    result = other("restore", str(target), "--json")
    assert result.exit_code == ExitCode.TAMPERED
    assert "no password of its own" in as_json(result)["error"]["message"]


def test_automatic_backups_every_few_changes_keep_the_newest(cli: Run, tmp_path: Path) -> None:
    env = {"SAFEHOLD_BACKUP_EVERY": "2", "SAFEHOLD_BACKUP_KEEP": "2"}
    run: Run = functools.partial(cli, "A", password=PASSWORD, env=env)
    assert run("signup", "ann@example.com", "--json").exit_code == 0
    for n in range(7):
        assert run("add", "login", "--title", f"Item {n}").exit_code == 0
    listed = as_json(run("backup", "--list", "--json"))
    assert len(listed) == 2
    assert [b["items"] for b in listed] == [6, 4]
    folder = tmp_path / "A" / "backups"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in folder.iterdir())


def test_error_paths(sh: Run, tmp_path: Path) -> None:
    missing = sh("restore", str(tmp_path / "nope.shbackup"), "--json")
    assert missing.exit_code == ExitCode.USAGE and "no such file" in as_json(missing)["error"]["message"]
    junk = tmp_path / "junk.shbackup"
    junk.write_text("not json")
    result = sh("restore", str(junk), "--json")
    assert (
        result.exit_code == ExitCode.USAGE and "not a Safehold backup" in as_json(result)["error"]["message"]
    )
    newer = tmp_path / "newer.shbackup"
    newer.write_text(json.dumps({"format": "safehold-backup", "version": 9}))
    result = sh("restore", str(newer), "--json")
    assert result.exit_code == ExitCode.USAGE and "version 9" in as_json(result)["error"]["message"]
    target = tmp_path / "t.shbackup"
    assert sh("backup", str(target)).exit_code == 0
    again = sh("backup", str(target), "--json")
    assert again.exit_code == ExitCode.USAGE and "exists" in as_json(again)["error"]["message"]
