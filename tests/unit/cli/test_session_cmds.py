"""`logout`, `--version`, `completion` and the help's look, through the real CLI: CliRunner
against the in-process server, and the console entry in a subprocess for what only the
entry point does (plain flags in help, completion answers)."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.cli.conftest import EMAIL, Run
from tests.unit.cli.test_item_cmds import PASSWORD, error, ok

from safehold.client.errors import ExitCode

ENTRY = "import sys; from safehold.cli.main import run; sys.exit(run())"


@pytest.fixture
def two(cli: Run) -> Iterator[tuple[Run, Run, str]]:
    """Profiles A (signed up) and B (signed in), both synced; and the account key."""
    run: Run = functools.partial(cli, password=PASSWORD)
    made = ok(run("A", "signup", EMAIL, "--json"))
    ok(run("B", "login", EMAIL, "--account-key", made["account_key"], "--json"))
    yield functools.partial(run, "A"), functools.partial(run, "B"), made["account_key"]


def test_logout_refuses_unsynced_edits_then_forgets_everything(two: tuple[Run, Run, str],
                                                                tmp_path: Path) -> None:  # fmt: skip
    a, b, key = two
    kits = list((tmp_path / "A" / "kits").iterdir())
    assert len(kits) == 1 and kits[0].suffix == ".pdf"  # signup wrote the kit into the profile
    ok(a("add", "login", "--title", "GitHub", "--field-stdin", "password", input="pw\n"))
    body = error(a("logout", "--yes", "--json"), ExitCode.UNSYNCED_EDITS)
    assert body["kind"] == "unsynced_edits" and "safehold sync" in body["hint"]
    assert ok(a("status", "--json"))["pending"] == 1  # nothing changed
    # Without --yes and without a terminal there is no one to ask.
    ok(a("sync"))
    assert "--yes" in error(a("logout", "--json"), ExitCode.USAGE)["message"]
    done = ok(a("logout", "--yes", "--json"))
    assert done["logged_out"] is True and done["session_revoked"] is True
    assert done["removed_kits"] == [str(kits[0])]
    # Nothing of the account is left in the profile, and status says so.
    assert not kits[0].exists()
    assert list((tmp_path / "A" / "vaults").iterdir()) == []
    assert list((tmp_path / "A" / "keys").iterdir()) == []
    gone = a("status", "--json")
    assert gone.exit_code == ExitCode.SESSION_REVOKED and "not_signed_in" in gone.stdout
    assert str(tmp_path / "A") not in gone.stdout
    # The server revoked the session: B sees one device left.
    assert [d["name"] for d in ok(b("devices", "--json"))] == ["B"]
    # The items are still in the account; A signs in again.
    ok(a("login", EMAIL, "--account-key", key))
    assert ok(a("get", "GitHub", "--field", "password")) == "pw\n"


def test_logout_force_drops_unsynced_edits_and_says_how_many(two: tuple[Run, Run, str]) -> None:
    a, _, _ = two
    ok(a("add", "login", "--title", "Local only"))
    done = ok(a("logout", "--yes", "--force", "--json"))
    assert done["dropped_edits"] == 1
    text = a("logout", "--yes")
    assert text.exit_code == ExitCode.SESSION_REVOKED and "no account" in text.stderr


def _entry(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", ENTRY, *args], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "COLUMNS": "100", **(env or {})})  # fmt: skip


def test_version() -> None:
    result = _entry("--version")
    assert result.returncode == 0 and result.stdout.startswith("safehold "), result.stderr


def test_help_shows_flags_plainly_and_examples_on_their_own_lines() -> None:
    top = _entry("-h").stdout
    assert "<bool>" not in top and "-h" in top and "--version" in top
    add = _entry("add", "-h").stdout
    assert "<bool>" not in add
    lines = add.splitlines()
    examples = [line for line in lines if line.strip().startswith("safehold add login")]
    assert examples and all(line.startswith("   safehold") for line in examples), examples
    # A prose paragraph is one paragraph, not the docstring's line breaks.
    assert any("an unknown name is an error" in line for line in lines)


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_completion_scripts_and_answers(shell: str) -> None:
    script = _entry("completion", shell)
    assert script.returncode == 0 and "_SAFEHOLD_COMPLETE" in script.stdout
    asked = {"_SAFEHOLD_COMPLETE": "complete_bash", "COMP_WORDS": "safehold lo", "COMP_CWORD": "1"}
    answer = _entry(env=asked)
    assert answer.stdout.split() == ["login", "lock", "logout"]


def test_completion_for_an_unknown_shell_is_a_usage_error() -> None:
    result = _entry("completion", "tcsh")
    assert result.returncode == 2 and "bash, zsh, fish" in result.stderr
