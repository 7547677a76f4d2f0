"""Issue 12 item 13: a runtime directory that another user owns (``/tmp/runtime-<uid>``,
created first by someone else) made every command end in a traceback. Now the agent's
socket moves to the profile with a clear message, and nothing goes to the other user's
directory."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from tests.unit.cli.conftest import Run

from safehold.client import paths
from safehold.client.agent import AgentClient, AgentRefused, AgentSocketTooLong, check_socket_dir
from safehold.client.errors import ExitCode

NOBODY = 65534
needs_root = pytest.mark.skipif(os.getuid() != 0, reason="needs root to give a directory to another user")


def _hostile_runtime(tmp_path: Path, mode: int = 0o755) -> Path:
    """``/tmp/runtime-<uid>`` as another user would have made it, with our ``safehold`` in it."""
    base = tmp_path / "runtime-1000"
    base.mkdir()
    os.chown(base, NOBODY, NOBODY)
    base.chmod(mode)
    return base / "safehold"


@needs_root
def test_a_runtime_dir_under_another_users_directory_falls_back_to_the_profile(
    cli: Run, tmp_path: Path
) -> None:
    runtime = _hostile_runtime(tmp_path)
    env = {"SAFEHOLD_RUNTIME_DIR": str(runtime)}
    assert cli("A", "signup", "ann@example.com", env=env).exit_code == 0
    result = cli("A", "unlock", env=env)
    try:
        assert result.exit_code == 0, result.output
        assert "Traceback" not in result.output
        assert f"belongs to user id {NOBODY}" in result.stderr
        assert str(tmp_path / "A" / "run") in result.stderr
        assert not runtime.exists()  # nothing created in the other user's directory
    finally:
        cli("A", "lock", env=env)


def test_an_unreadable_runtime_dir_is_refused_not_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def denied(path: str) -> os.stat_result:
        raise PermissionError(errno.EACCES, "Permission denied", path)

    monkeypatch.setattr(paths.os, "lstat", denied)
    assert "cannot be examined" in (paths.runtime_dir_problem("/tmp/runtime-1000/safehold") or "")
    with pytest.raises(AgentRefused, match="cannot be examined"):
        check_socket_dir("/tmp/runtime-1000/safehold")
    client = AgentClient("/tmp/runtime-1000/safehold/agent-x.sock", 0.0)
    assert client.get("ab" * 16) is None and client.refused is not None


@needs_root
@pytest.mark.parametrize("mode", [0o755, 0o700])
def test_a_directory_whose_parent_another_user_owns_is_refused(tmp_path: Path, mode: int) -> None:
    runtime = _hostile_runtime(tmp_path, 0o777)
    runtime.mkdir(mode=0o700)  # as root we could; a swap by the owner of the parent is the risk
    runtime.parent.chmod(mode)
    with pytest.raises(AgentRefused, match=f"user id {NOBODY}"):
        check_socket_dir(runtime)
    chosen, note = paths.choose_agent_socket(tmp_path / "home", runtime)
    assert chosen == str(tmp_path / "home" / "run" / "agent.sock") and note is not None


def test_a_world_writable_parent_without_sticky_bit_is_refused(tmp_path: Path) -> None:
    base = tmp_path / "shared"
    base.mkdir()
    base.chmod(0o777)
    assert "can be changed by other users" in (paths.runtime_dir_problem(base / "safehold") or "")
    base.chmod(0o1777)  # like /tmp
    assert paths.runtime_dir_problem(base / "safehold") is None


def test_a_runtime_dir_too_long_for_a_socket_falls_back_to_the_profile(cli: Run, tmp_path: Path) -> None:
    """A Unix socket's path holds about 100 bytes: a long XDG_RUNTIME_DIR used to end in "the
    agent did not start". The socket moves to the profile, with a note saying why."""
    runtime = tmp_path / ("r" * 120)
    env = {"SAFEHOLD_RUNTIME_DIR": str(runtime)}
    chosen, note = paths.choose_agent_socket(tmp_path / "A", runtime)
    assert chosen == str(tmp_path / "A" / "run" / "agent.sock")
    assert note is not None and "too long" in note
    assert cli("A", "signup", "ann@example.com", env=env).exit_code == 0
    result = cli("A", "unlock", env=env)
    try:
        assert result.exit_code == 0, result.output
        assert "did not start" not in result.output and "no agent keeps" not in result.output
        assert (tmp_path / "A" / "run" / "agent.sock").exists()
    finally:
        cli("A", "lock", env=env)


def test_a_socket_path_too_long_everywhere_says_which_and_what_to_do(cli: Run, tmp_path: Path) -> None:
    runtime = tmp_path / ("r" * 120)
    home = tmp_path / ("h" * 100)
    chosen, note = paths.choose_agent_socket(home, runtime)
    assert note is None and not paths.socket_path_fits(chosen)
    client = AgentClient(chosen, 1.0)
    with pytest.raises(AgentSocketTooLong) as caught:
        client.start()
    message = str(caught.value)
    assert chosen in message and "SAFEHOLD_RUNTIME_DIR" in message and "SAFEHOLD_HOME" in message
    assert client.refused == message

    env = {"SAFEHOLD_HOME": str(home), "SAFEHOLD_RUNTIME_DIR": str(runtime)}
    assert cli("A", "signup", "ann@example.com", env=env).exit_code == 0
    result = cli("A", "unlock", env=env)
    # The password was right, but nothing keeps the keys: each command asks for it.
    assert result.exit_code == ExitCode.AGENT_UNAVAILABLE, result.output
    assert "did not start" not in result.output and "Traceback" not in result.output
    said = " ".join(result.stderr.split())
    assert "bytes, more than the 103 a Unix socket allows" in said
    assert "SAFEHOLD_RUNTIME_DIR" in said, said
