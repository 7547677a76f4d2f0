"""The fast path of the console entry (cli/fast.py) against the full CLI, in subprocesses
with a real agent: the same output for the same reads, the trash respected, and every doubt
(an unknown item, a locked vault, a scripted password, other options) left to the full CLI
with its own messages and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.unit.client._passwords import PASSWORD

from safehold.client.errors import ExitCode

ENTRY = "import sys; from safehold.cli.fast import run; sys.exit(run())"
FAST = "answered by the agent (fast path)"
Sh = Callable[..., subprocess.CompletedProcess[str]]
pytestmark = pytest.mark.slow  # a real agent and a dozen processes per test


@pytest.fixture
def sh(server: ServerHandle, tmp_path: Path) -> Sh:
    env = profile_env(home=tmp_path, profile=tmp_path / "p", server=server.base_url, runtime=tmp_path / "run",
                      device_name="test", SAFEHOLD_DEBUG="1")  # fmt: skip

    def run(*args: str, input: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", ENTRY, *args], env={**env, **extra}, input=input,
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    assert run("signup", "ann@example.com", SAFEHOLD_PASSWORD=PASSWORD).returncode == 0
    for args, value in ((["login", "--title", "GitHub", "-f", "username=ann"], "gh pass"),
                        (["login", "--title", "Gitea"], "tea"),
                        (["login", "--title", "Old", "-f", "username=old"], "old pw")):  # fmt: skip
        made = run("add", *args, "--field-stdin", "password", input=value, SAFEHOLD_PASSWORD=PASSWORD)
        assert made.returncode == 0, made.stderr
    otp = run("add", "login", "--title", "Bank", "--custom", "otp:totp=JBSWY3DPEHPK3PXP",
              SAFEHOLD_PASSWORD=PASSWORD)  # fmt: skip
    assert otp.returncode == 0, otp.stderr
    assert run("rm", "Old", SAFEHOLD_PASSWORD=PASSWORD).returncode == 0
    unlocked = run("unlock", SAFEHOLD_PASSWORD=PASSWORD)
    assert unlocked.returncode == 0 and "Unlocked" in unlocked.stdout, unlocked.stderr
    return run


def test_the_fast_path_answers_as_the_full_cli_does(sh: Sh) -> None:
    cases = [
        ("get", "GitHub", "--field", "password"),
        ("get", "--field", "username", "github"),
        ("get", "Bank", "-f", "otp", "--raw"),
        ("list", "--json"),
    ]
    for args in cases:
        fast, full = sh(*args), sh(*args, SAFEHOLD_FAST="0")
        assert fast.returncode == full.returncode == 0, (args, fast.stderr, full.stderr)
        assert FAST in fast.stderr and FAST not in full.stderr, args
        assert fast.stdout == full.stdout, args
    listed = json.loads(sh("list", "--json").stdout)
    assert [i["title"] for i in listed] == ["Bank", "Gitea", "GitHub"]  # not the trashed one
    code = sh("totp", "Bank")
    assert code.returncode == 0 and FAST in code.stderr and len(code.stdout.strip()) == 6
    assert sh("get", "Bank", "-f", "otp").stdout.strip().isdigit()


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("get", "Nope", "--field", "password"), ExitCode.NOT_FOUND, "no item matches 'Nope'"),
        (("get", "Git", "--field", "password"), ExitCode.NOT_FOUND, "matches 2 items"),
        (("get", "GitHub", "--field", "pasword"), ExitCode.NOT_FOUND, "no field called 'pasword'"),
        (("get", "Old", "--field", "password"), ExitCode.NOT_FOUND, "no item matches 'Old'"),
        (("totp", "GitHub"), ExitCode.NOT_FOUND, "no one-time-password secret"),
    ],
)
def test_doubts_go_to_the_full_cli(sh: Sh, args: tuple[str, ...], code: int, message: str) -> None:
    result = sh(*args)
    assert result.returncode == code and message in result.stderr, result.stderr
    assert FAST not in result.stderr


def test_no_fast_path_when_locked_or_scripted_or_other_options(sh: Sh) -> None:
    scripted = sh("get", "GitHub", "--field", "password", SAFEHOLD_PASSWORD=PASSWORD)
    assert scripted.stdout == "gh pass\n" and FAST not in scripted.stderr
    other = sh("get", "GitHub", "--field", "password", "--json")
    assert json.loads(other.stdout)["value"] == "gh pass" and FAST not in other.stderr
    assert sh("lock").returncode == 0
    locked = sh("get", "GitHub", "--field", "password")
    assert locked.returncode == ExitCode.LOCKED and FAST not in locked.stderr
