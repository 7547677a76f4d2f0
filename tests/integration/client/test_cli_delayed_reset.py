"""Issue 14 §6 end to end: with ``SAFEHOLD_RESET_DELAY_HOURS`` a completed reset is
scheduled; the account's email and every device (``sync``, then ``status``) are told when,
from where and until when; ``safehold reset --cancel`` stops it; not cancelled, the
server's maintenance tick applies it when due and the devices find out as for any reset.
Real server and CLI processes; the zero-knowledge scan after each."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DATABASES, PG_ENV
from tests.support.cli import profile_env
from tests.support.server import ServerHandle, run_server
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

EMAIL = "dana@example.com"
_LINK = re.compile(r"https?://\S+/reset/[A-Za-z0-9_-]{20,}")
Run = Callable[..., subprocess.CompletedProcess[str]]


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}{result.stdout}"
    return json.loads(result.stdout)


def _runner(tmp_path: Path, server: ServerHandle) -> Run:
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))

    def run(
        profile: str, *args: str, password: str = PASSWORD, **env: str
    ) -> subprocess.CompletedProcess[str]:
        environment = profile_env(
            home=tmp_path, profile=tmp_path / profile, server=server.base_url,
            runtime=runtime / profile, device_name=profile, SAFEHOLD_IDLE_TIMEOUT="30", COLUMNS="200",
        )  # fmt: skip
        environment["SAFEHOLD_PASSWORD"] = password
        environment.update(env)
        return subprocess.run([sys.executable, "-m", "safehold.cli.main", *args], env=environment,
                              capture_output=True, text=True, timeout=90)  # fmt: skip

    return run


def _schedule(run: Run, server: ServerHandle) -> tuple[str, dict[str, Any]]:
    """A signs up with one item, B signs in; A completes a reset from the mailed link.
    The old account key, and the reset's answer."""
    old_key = _json(run("A", "signup", EMAIL, "--json"))["account_key"]
    _json(run("A", "add", "login", "--title", "Kept", "--field", "password=item-secret-5", "--json"))
    assert run("A", "sync").returncode == 0
    _json(run("B", "login", EMAIL, "--account-key", old_key, "--json"))
    assert run("A", "reset", EMAIL).returncode == 0
    link = _LINK.search(server.read_outbox()[-1].get_body(("plain",)).get_content())  # type: ignore[union-attr]
    assert link is not None
    done = run("A", "reset", "--link", link.group(0), "--yes", "--json", SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)
    assert "waits" in done.stderr  # the delay is said before anything is done
    return old_key, _json(done)


def _scan(server: ServerHandle, *secrets: str) -> None:
    mail = "".join(m.as_string() for m in server.read_outbox())
    seen = server.dump_database() + server.log_text() + mail
    for secret in (PASSWORD, NEW_PASSWORD, "item-secret-5", "Kept", *secrets):
        assert secret not in seen and secret.replace("-", "") not in seen


@pytest.mark.slow
def test_a_delayed_reset_is_told_and_cancelled(tmp_path: Path) -> None:
    env = {"SAFEHOLD_RESET_DELAY_HOURS": "24"}
    with run_server(tmp_path, extra_env=env) as server:
        run = _runner(tmp_path, server)
        old_key, answer = _schedule(run, server)
        assert answer["scheduled_for"] and answer["archived"] == []
        subjects = [m["Subject"] for m in server.read_outbox()]
        assert subjects[-1] == "A reset of your Safehold account is scheduled"
        # Nothing changed yet: both devices still work with the old password and key.
        assert run("A", "list", "--json").returncode == 0
        told = run("B", "sync")
        assert told.returncode == 0 and "reset of this account was requested" in told.stderr
        assert "127.0.0.1" in told.stderr and "safehold reset --cancel" in told.stderr
        status = _json(run("B", "status", "--json"))
        assert status["pending_reset"]["effective_at"] == answer["scheduled_for"]
        assert "safehold reset --cancel" in run("B", "status").stderr
        cancelled = _json(run("B", "reset", "--cancel", "--json"))
        assert cancelled["cancelled"]["effective_at"] == answer["scheduled_for"]
        assert server.read_outbox()[-1]["Subject"] == "The reset of your Safehold account was cancelled"
        again = run("B", "reset", "--cancel")
        assert again.returncode == 5 and "no reset is scheduled" in again.stderr
        assert _json(run("A", "sync", "--json"))["pending_reset"] is None
        assert _json(run("B", "status", "--json"))["pending_reset"] is None
        # The new key never takes: the old one keeps signing in.
        _json(run("C", "login", EMAIL, "--account-key", old_key, "--json"))
        assert [i["title"] for i in _json(run("C", "list", "--json"))] == ["Kept"]
        _scan(server, old_key, answer["account_key"])


@pytest.mark.slow
@pytest.mark.parametrize("database", DATABASES)
def test_a_delayed_reset_not_cancelled_is_applied_by_the_server(tmp_path: Path, database: str) -> None:
    database_url = None
    if database == "postgres":
        database_url = os.environ.get(PG_ENV) or pytest.skip(f"{PG_ENV} is not set")
    # 0.001 h = 3.6 s; the maintenance tick runs every 0.2 s.
    env = {"SAFEHOLD_RESET_DELAY_HOURS": "0.001", "SAFEHOLD_MAINTENANCE_INTERVAL_SECONDS": "0.2"}
    with run_server(tmp_path, database_url=database_url, extra_env=env) as server:
        run = _runner(tmp_path, server)
        old_key, answer = _schedule(run, server)
        new_key = answer["account_key"]
        deadline = time.monotonic() + 60
        while "generation       2" not in server.cli("accounts", "show", EMAIL).stdout:
            assert time.monotonic() < deadline, "the scheduled reset was never applied"
            time.sleep(0.5)
        assert "Your Safehold account was reset" in [m["Subject"] for m in server.read_outbox()]
        # The devices find out at their next contact, as after any reset: archived, exit 9.
        assert run("B", "sync").returncode == 9
        _json(run("B", "login", EMAIL, "--account-key", new_key, "--json", password=NEW_PASSWORD))
        restored = _json(run("B", "archive", "restore", "--json", password=NEW_PASSWORD,
                             SAFEHOLD_OLD_PASSWORD=PASSWORD))  # fmt: skip
        assert restored["added"] == ["Kept"]
        listing = _json(run("B", "archive", "list", "--json", password=NEW_PASSWORD))
        assert [a["items"] for a in listing["server_archives"]] == [1]
        _scan(server, old_key, new_key)
