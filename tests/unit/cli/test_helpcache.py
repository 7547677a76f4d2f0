"""`safehold --help` from the copy kept last time (cli/helpcache.py): exactly what the full
CLI prints, kept only when it succeeded, and never a copy made in another setting."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from safehold.cli import helpcache

ENTRY = "import sys; from safehold.cli.fast import run; run()"
KEPT = "help as printed last time (fast path)"


def _sh(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith(("SAFEHOLD_", "COLUMNS"))}
    base.update({"XDG_CACHE_HOME": str(tmp_path / "cache"), "SAFEHOLD_DEBUG": "1", **env})
    return subprocess.run([sys.executable, "-c", ENTRY, *args], env=base, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [(["--help"], True), (["-h"], True), (["get", "--help"], True), (["trash", "list", "-h"], True),
     ([], False), (["get", "x", "--help", "y"], False), (["--json", "--help"], False), (["get"], False)],
)  # fmt: skip
def test_which_command_lines_are_help(argv: list[str], wanted: bool) -> None:
    assert helpcache.is_help(argv) is wanted


@pytest.mark.slow  # the full CLI in a subprocess, several times
def test_the_copy_is_what_the_full_cli_prints(tmp_path: Path) -> None:
    full = _sh(tmp_path, "--help", SAFEHOLD_FAST="0")
    first = _sh(tmp_path, "--help")
    again = _sh(tmp_path, "--help")
    assert full.returncode == first.returncode == again.returncode == 0
    assert "Usage: safehold" in full.stdout
    assert first.stdout == full.stdout and again.stdout == full.stdout
    assert KEPT not in first.stderr and KEPT in again.stderr
    directory = tmp_path / "cache" / "safehold"
    (copy,) = directory.iterdir()
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700 and stat.S_IMODE(copy.stat().st_mode) == 0o600
    # A command's own help is kept apart from the top-level one.
    sub = _sh(tmp_path, "get", "--help")
    assert sub.returncode == 0 and "Usage: safehold get" in sub.stdout
    assert _sh(tmp_path, "get", "--help").stdout == sub.stdout
    assert len(list(directory.iterdir())) == 2


@pytest.mark.slow  # the full CLI in a subprocess, several times
def test_failures_are_not_kept_and_settings_do_not_share_copies(tmp_path: Path) -> None:
    for _ in range(2):
        wrong = _sh(tmp_path, "nosuch", "--help")
        assert wrong.returncode == 2 and "No such command 'nosuch'" in wrong.stderr
        assert KEPT not in wrong.stderr
    assert _sh(tmp_path, "--help", COLUMNS="100").returncode == 0
    narrow = _sh(tmp_path, "--help", COLUMNS="60")
    assert KEPT not in narrow.stderr  # another width: its own copy, made now
    assert max(len(line) for line in narrow.stdout.splitlines()) <= 60
    off = _sh(tmp_path, "--help", COLUMNS="60", SAFEHOLD_FAST="0")
    assert KEPT not in off.stderr and off.stdout == narrow.stdout


def test_the_name_changes_with_the_code_and_the_terminal(tmp_path: Path) -> None:
    base = helpcache.fingerprint(["--help"], {}, tty=False)
    assert helpcache.fingerprint(["--help"], {}, tty=False) == base
    assert helpcache.fingerprint(["get", "--help"], {}, tty=False) != base
    assert helpcache.fingerprint(["--help"], {"NO_COLOR": "1"}, tty=False) != base
    assert helpcache.fingerprint(["--help"], {}, tty=True) != base
    # Any file of the package: its size or time changes the name.
    tree = tmp_path / "pkg"
    tree.mkdir()
    (tree / "a.py").write_text("x = 1\n")
    before: list[str] = []
    helpcache._tree_stamp(str(tree), before)
    os.utime(tree / "a.py", ns=(1, 1))
    after: list[str] = []
    helpcache._tree_stamp(str(tree), after)
    assert before != after
