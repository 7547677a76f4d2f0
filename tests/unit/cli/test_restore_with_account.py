"""``safehold restore`` with the password and account key of the backup's day
(--account-key or --kit, and the old password from SAFEHOLD_OLD_PASSWORD,
--old-password-stdin or a prompt): a backup of another account, without a password of its
own, opens and merges; a wrong old password or key is refused with its own message."""

from __future__ import annotations

import functools
from pathlib import Path

from tests.unit.cli.conftest import Run, as_json

from safehold.client.errors import ExitCode

PASSWORD = "maple quartz lantern 48 orbit"
OTHER_PASSWORD = "violet harbour 93 cobble stone"
ENV = {"SAFEHOLD_BACKUP_EVERY": "0"}


def _made(cli: Run, tmp_path: Path) -> tuple[Path, str]:
    """A backup of account A (no password of its own) and A's account key."""
    run: Run = functools.partial(cli, "A", password=PASSWORD, env=ENV)
    signup = run("signup", "ann@example.com", "--json")
    assert signup.exit_code == 0, signup.output
    for title in ("GitHub", "Bank"):
        assert run("add", "login", "--title", title, "-f", f"password={title}-pw").exit_code == 0
    target = tmp_path / "a.shbackup"
    assert run("backup", str(target)).exit_code == 0
    return target, str(as_json(signup)["account_key"])


def _other(cli: Run) -> Run:
    other: Run = functools.partial(cli, "B", password=OTHER_PASSWORD, env=ENV)
    assert other("signup", "bob@example.com", "--json").exit_code == 0
    return other


def test_the_password_and_key_of_its_day_open_a_backup_in_another_vault(cli: Run, tmp_path: Path) -> None:
    target, key = _made(cli, tmp_path)
    other = _other(cli)
    env = {**ENV, "SAFEHOLD_OLD_PASSWORD": PASSWORD}
    dry = cli("B", "restore", str(target), "--account-key", key, "--dry-run", "--json",
              password=OTHER_PASSWORD, env=env)  # fmt: skip
    assert dry.exit_code == 0, dry.output
    assert as_json(dry)["opened_with"] == "account" and len(as_json(dry)["restored"]) == 2
    assert as_json(other("list", "--json")) == []
    done = cli("B", "restore", str(target), "--account-key", key, "--json", password=OTHER_PASSWORD, env=env)
    assert done.exit_code == 0, done.output
    assert len(as_json(done)["restored"]) == 2
    titles = sorted(e["title"] for e in as_json(other("list", "--json")))
    assert titles == ["Bank", "GitHub"]
    assert as_json(other("get", "Bank", "--json"))["fields"]["password"] == "Bank-pw"


def test_the_old_password_from_stdin_after_the_current_one(cli: Run, tmp_path: Path) -> None:
    target, key = _made(cli, tmp_path)
    _other(cli)
    result = cli("B", "restore", str(target), "--account-key", key, "--password-stdin",
                 "--old-password-stdin", "--json", password=None, env=ENV,
                 input=f"{OTHER_PASSWORD}\n{PASSWORD}\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    assert len(as_json(result)["restored"]) == 2


def test_a_wrong_old_password_or_key_is_refused(cli: Run, tmp_path: Path) -> None:
    target, key = _made(cli, tmp_path)
    other = _other(cli)
    wrong = cli("B", "restore", str(target), "--account-key", key, "--json", password=OTHER_PASSWORD,
                env={**ENV, "SAFEHOLD_OLD_PASSWORD": "not the password"})  # fmt: skip
    assert wrong.exit_code == ExitCode.TAMPERED
    assert "password and account key" in as_json(wrong)["error"]["message"]
    bad_key = cli("B", "restore", str(target), "--account-key", "SH1-nonsense", "--json",
                  password=OTHER_PASSWORD, env={**ENV, "SAFEHOLD_OLD_PASSWORD": PASSWORD})  # fmt: skip
    assert bad_key.exit_code == ExitCode.ACCOUNT_KEY, bad_key.output
    both = cli("B", "restore", str(target), "--account-key", key, "--kit", str(tmp_path / "k.pdf"), "--json",
               password=OTHER_PASSWORD, env=ENV)  # fmt: skip
    assert both.exit_code == ExitCode.USAGE
    assert as_json(other("list", "--json")) == []


def test_the_emergency_kit_of_its_day_gives_the_key(cli: Run, tmp_path: Path) -> None:
    kit = tmp_path / "kit.pdf"
    run: Run = functools.partial(cli, "A", password=PASSWORD, env=ENV)
    assert run("signup", "ann@example.com", "--kit", str(kit), "--json").exit_code == 0
    assert run("add", "login", "--title", "Mail", "-f", "password=m").exit_code == 0
    target = tmp_path / "k.shbackup"
    assert run("backup", str(target)).exit_code == 0
    other = _other(cli)
    done = cli("B", "restore", str(target), "--kit", str(kit), "--json", password=OTHER_PASSWORD,
               env={**ENV, "SAFEHOLD_OLD_PASSWORD": PASSWORD})  # fmt: skip
    assert done.exit_code == 0, done.output
    assert as_json(done)["opened_with"] == "account"
    assert [e["title"] for e in as_json(other("list", "--json"))] == ["Mail"]
