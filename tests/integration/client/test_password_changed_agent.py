"""A device whose agent holds the keys when the password is changed on another device: its
next request learns it, `status` says so with the new hint, and `unlock` asks for the new
password instead of saying "already unlocked". Real server, real agent, real processes."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.unit.client._agent import short_dir
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

from safehold.client.errors import ExitCode

pytestmark = pytest.mark.slow  # a real agent and a handful of processes
ENTRY = "import sys; from safehold.cli.fast import run; sys.exit(run())"


def test_the_unlocked_device_is_told_and_asks_again(server: ServerHandle, tmp_path: Path) -> None:
    runtime = short_dir()  # a Unix socket's path must stay short; pytest's tmp_path may not

    def device(name: str) -> Callable[..., subprocess.CompletedProcess[str]]:
        env = profile_env(home=tmp_path, profile=tmp_path / name, server=server.base_url,
                          runtime=runtime / name, device_name=name)  # fmt: skip

        def run(*args: str, input: str | None = None, **extra: str) -> subprocess.CompletedProcess[str]:
            return subprocess.run([sys.executable, "-c", ENTRY, *args], env={**env, **extra}, input=input,
                                  capture_output=True, text=True, timeout=120)  # fmt: skip

        return run

    laptop, phone = device("laptop"), device("phone")
    made = laptop("signup", "ann@example.com", "--hint", "the old one", "--json", SAFEHOLD_PASSWORD=PASSWORD)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["account_key"]
    unlocked = laptop("unlock", SAFEHOLD_PASSWORD=PASSWORD)
    assert unlocked.returncode == 0 and "Unlocked" in unlocked.stdout, unlocked.stdout + unlocked.stderr
    assert phone("login", "ann@example.com", "--account-key", key, SAFEHOLD_PASSWORD=PASSWORD).returncode == 0
    changed = phone("change-password", "--hint", "the green one", SAFEHOLD_PASSWORD=PASSWORD,
                    SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
    assert changed.returncode == 0, changed.stderr
    try:
        synced = laptop("sync", "--json")
        assert synced.returncode == ExitCode.SESSION_REVOKED, synced.stderr
        assert "changed on another device" in json.loads(synced.stdout)["error"]["message"]

        status = json.loads(laptop("status", "--json").stdout)
        assert status["unlocked"] and status["password_changed_elsewhere"]
        assert status["hint"] == "the green one"

        # Not "already unlocked": it needs the new password (none given here, no terminal).
        asked = laptop("unlock", "--json")
        assert asked.returncode == ExitCode.USAGE, asked.stdout
        assert "no password given" in json.loads(asked.stdout)["error"]["message"]
        old = laptop("unlock", "--password-stdin", "--json", input=PASSWORD + "\n")
        assert old.returncode == ExitCode.AUTH_FAILED
        assert json.loads(old.stdout)["error"]["hint"] == "your account hint: the green one"
        new = laptop("unlock", "--password-stdin", "--json", input=NEW_PASSWORD + "\n")
        assert new.returncode == 0, new.stdout + new.stderr
        assert json.loads(laptop("status", "--json").stdout)["password_changed_elsewhere"] is None
        assert laptop("sync", "--json").returncode == 0
    finally:
        laptop("lock")
