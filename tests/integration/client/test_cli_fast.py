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


def _said(stderr: str) -> list[str]:
    """What a status run says on stderr, less the fast path's own debug line. (Both say
    where the agent's socket went when a long temporary path moved it.)"""
    return [line for line in stderr.splitlines() if line.strip() and FAST not in line]


def _steady(text: str) -> str:
    """Status with the agent's countdown left out (it moves between two calls)."""
    import re

    return re.sub(r"next in [0-9a-z ]+", "next in …", re.sub(r'"next_in": [0-9.e+-]+', '"next_in": 0', text))


def test_status_answers_as_the_full_cli_does_in_every_state(sh: Sh) -> None:
    from datetime import UTC, datetime, timedelta

    from safehold.client.status import PASSWORD_CHANGED_META
    from safehold.client.store import ConflictRecord, VaultStore

    def same() -> None:
        for args in (("status",), ("status", "--json")):
            fast, full = sh(*args), sh(*args, SAFEHOLD_FAST="0")
            assert fast.returncode == full.returncode == 0, (args, fast.stderr, full.stderr)
            assert FAST in fast.stderr and FAST not in full.stderr, args
            assert _steady(fast.stdout) == _steady(full.stdout), args
            assert _said(fast.stderr) == _said(full.stderr), args

    same()
    info = json.loads(sh("status", "--json").stdout)
    assert info["unlocked"] is True and info["items"] == 4  # the trashed one counts
    listed = {i["title"]: i["id"] for i in json.loads(sh("list", "--json").stdout)}
    # A conflict copy (its title read from the sealed item), a password changed elsewhere with
    # its new hint, and a reset the server said is scheduled: what the vault file can say.
    store = VaultStore.open(Path(info["vault_file"]))
    now = datetime.now(UTC)
    pending = {"requested_at": now.isoformat(), "requested_from": "203.0.113.9 \x1b[31m",
               "effective_at": (now + timedelta(days=1)).isoformat()}  # fmt: skip
    try:
        store.add_conflict(ConflictRecord(listed["GitHub"], listed["Gitea"], "", now.isoformat()))
        store.set_meta(**{PASSWORD_CHANGED_META: now.isoformat(), "hint": "the \u202eblue one",
                          "pending_reset": json.dumps(pending)})  # fmt: skip
    finally:
        store.close()
    same()
    text = sh("status")
    assert "1 conflict copies" in text.stdout and "Gitea" in text.stdout
    assert "changed on another device" in text.stdout and "\\u202e" in text.stdout
    assert "safehold reset --cancel" in text.stderr and "\\x1b" in text.stderr


def test_status_is_left_to_the_full_cli_when_archives_need_a_word(sh: Sh, tmp_path: Path) -> None:
    info = json.loads(sh("status", "--json").stdout)
    home = Path(info["vault_file"]).parent.parent
    (home / "archives" / "x").mkdir(parents=True)
    assert FAST not in sh("status").stderr
    assert FAST not in sh("status", SAFEHOLD_KEYSTORE="other").stderr


def test_the_fast_path_says_where_the_agent_socket_went(server: ServerHandle, tmp_path: Path) -> None:
    """A runtime directory too long for a Unix socket moves the agent's socket into the
    profile; every full command says so on stderr, and the fast path says it alike."""
    runtime = tmp_path / ("r" * 120)
    env = profile_env(home=tmp_path, profile=tmp_path / "p", server=server.base_url, runtime=runtime,
                      device_name="test", SAFEHOLD_DEBUG="1")  # fmt: skip

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-c", ENTRY, *args], env={**env, **extra},
                              capture_output=True, text=True, timeout=120)  # fmt: skip

    assert run("signup", "ann@example.com", SAFEHOLD_PASSWORD=PASSWORD).returncode == 0
    assert run("unlock", SAFEHOLD_PASSWORD=PASSWORD).returncode == 0
    try:
        fast, full = run("status"), run("status", SAFEHOLD_FAST="0")
        assert fast.returncode == full.returncode == 0, (fast.stderr, full.stderr)
        assert FAST in fast.stderr
        said = [line for line in fast.stderr.splitlines() if "warning:" in line]
        assert said == [line for line in full.stderr.splitlines() if "warning:" in line]
        assert len(said) == 1 and "too long for the agent's socket" in said[0]
        assert str(tmp_path / "p" / "run") in said[0]
    finally:
        run("lock")
