"""``./run``: sets up the environment only when it is missing or the lock changed.

The real script runs against a stand-in interpreter that records what it was asked to do
(installing the real lock needs the network and minutes; CI's ``.ci/run`` does that for real
through ``./run tests``). What is checked is the script's own logic: a first call makes the
environment and installs the lock then Safehold, a second call installs nothing, a changed
lock installs again, and a failed install is retried next time.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# A stand-in for `python3` and for the environment's python: `-m venv DIR` makes DIR with a
# copy of this stand-in, `-m pip ...` is recorded in $CALLS_LOG (and fails while $FAIL_PIP
# exists), `-c` runs the real interpreter (the version check).
FAKE_PYTHON = f"""#!/bin/sh
case "$1" in
  -c) exec {sys.executable} "$@" ;;
  -m)
    if [ "$2" = venv ]; then
      mkdir -p "$3/bin" && cp "$0" "$3/bin/python"
      printf '#!/bin/sh\\necho "safehold $*" >> "$CALLS_LOG"\\n' > "$3/bin/safehold"
      chmod +x "$3/bin/safehold"
      echo venv >> "$CALLS_LOG"; exit 0
    fi
    shift; echo "$*" >> "$CALLS_LOG"
    [ -e "$FAIL_PIP" ] && exit 1
    exit 0 ;;
esac
exit 3
"""


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "requirements").mkdir(parents=True)
    shutil.copy(ROOT / "run", repo / "run")
    shutil.copy(ROOT / "pyproject.toml", repo / "pyproject.toml")
    shutil.copy(ROOT / "requirements" / "lock.txt", repo / "requirements" / "lock.txt")
    tools = tmp_path / "tools"
    tools.mkdir()
    (tools / "python3").write_text(FAKE_PYTHON)
    (tools / "python3").chmod(0o755)
    return repo


def _run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("SAFEHOLD_VENV", "PYTHON")}
    env["PYTHON"] = str(repo.parent / "tools" / "python3")
    env["CALLS_LOG"], env["FAIL_PIP"] = str(repo / "calls.log"), str(repo / "FAIL_PIP")
    return subprocess.run(["bash", str(repo / "run"), *args], capture_output=True, text=True, env=env,
                          cwd=repo.parent, check=False)  # fmt: skip


def _calls(repo: Path) -> list[str]:
    log = repo / "calls.log"
    return log.read_text().splitlines() if log.exists() else []


def test_first_call_sets_up_then_nothing_is_installed_again(checkout: Path) -> None:
    first = _run(checkout, "setup")
    assert first.returncode == 0, first.stderr
    calls = _calls(checkout)
    assert calls[0] == "venv"
    assert any(c.startswith("pip install") and "--upgrade pip" in c for c in calls)
    assert any("-r" in c.split() and c.endswith("requirements/lock.txt") for c in calls)
    assert calls[-1].endswith("--no-deps -e .")

    again = _run(checkout, "setup")
    assert again.returncode == 0
    assert _calls(checkout) == calls, "a second setup must install nothing"
    assert again.stderr == ""


def test_a_changed_lock_is_installed_and_the_environment_kept(checkout: Path) -> None:
    assert _run(checkout, "setup").returncode == 0
    before = len(_calls(checkout))
    with (checkout / "requirements" / "lock.txt").open("a") as lock:
        lock.write("example-package==1.0\n")
    assert _run(checkout, "setup").returncode == 0
    new = _calls(checkout)[before:]
    assert "venv" not in new
    assert any(c.endswith("requirements/lock.txt") for c in new)
    assert new[-1].endswith("--no-deps -e .")


def test_a_failed_install_is_tried_again_next_time(checkout: Path) -> None:
    (checkout / "FAIL_PIP").touch()
    failed = _run(checkout, "setup")
    assert failed.returncode != 0
    (checkout / "FAIL_PIP").unlink()
    before = len(_calls(checkout))
    assert _run(checkout, "setup").returncode == 0
    assert any(c.endswith("requirements/lock.txt") for c in _calls(checkout)[before:])


def test_commands_run_the_environments_programs_from_any_directory(checkout: Path) -> None:
    done = _run(checkout, "safehold", "status", "--json")
    assert done.returncode == 0, done.stderr
    assert _calls(checkout)[-1] == "safehold status --json"


def test_old_python_and_unknown_commands_are_refused(checkout: Path, tmp_path: Path) -> None:
    unknown = _run(checkout, "bogus")
    assert unknown.returncode == 2
    assert "unknown command 'bogus'" in unknown.stderr and "./run tests" in unknown.stderr
    env = {**os.environ, "PYTHON": str(tmp_path / "no-such-python")}
    old = subprocess.run(["bash", str(checkout / "run"), "setup"], capture_output=True, text=True, env=env,
                         check=False)  # fmt: skip
    assert old.returncode == 1
    assert "needs Python 3.11 or newer" in old.stderr
