"""Signing a device in again keeps the edits it has not synced yet (real server, real CLI).

A device signed out from another device, or whose password was changed elsewhere, still
holds its vault: `login` reuses it when the account's generation is unchanged, and the next
sync pushes the pending edits. Only an account reset (a higher generation) starts afresh.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

Run = Callable[..., subprocess.CompletedProcess[str]]
EMAIL = "ann@example.com"


@pytest.fixture
def run(server: ServerHandle, tmp_path: Path) -> Run:
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))

    def run(profile: str, *args: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
        environment = profile_env(
            home=tmp_path, profile=tmp_path / profile, server=server.base_url, runtime=runtime / profile,
            device_name=profile, SAFEHOLD_PASSWORD=password, SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD,
        )  # fmt: skip
        return subprocess.run(
            [sys.executable, "-m", "safehold.cli.main", *args],
            env=environment,
            capture_output=True,
            text=True,
            timeout=60,
        )

    return run


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}{result.stdout}"
    return result


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def _titles(run: Run, profile: str, **kw: str) -> list[str]:
    return sorted(i["title"] for i in _json(_ok(run(profile, "list", "--json", **kw))))


def _setup(run: Run) -> str:
    key: str = _json(_ok(run("A", "signup", EMAIL, "--json")))["account_key"]
    _ok(run("A", "add", "login", "--title", "Shared"))
    _ok(run("A", "sync"))
    _ok(run("C", "login", EMAIL, "--account-key", key))
    return key


def test_revoked_device_signed_in_again_keeps_and_pushes_its_offline_edits(run: Run) -> None:
    _setup(run)
    c_id = _json(run("C", "status", "--json"))["device_id"]
    _ok(run("C", "add", "login", "--title", "Made offline on C"))
    _ok(run("C", "edit", "Shared", "--field", "username=edited-on-c"))
    _ok(run("A", "devices", "--revoke", c_id, "--yes"))
    assert run("C", "sync").returncode == 8  # signed out
    status = _json(run("C", "status", "--json"))
    assert status["pending"] == 2

    _ok(run("C", "login", EMAIL))  # the stored key; login syncs, pushing the pending edits
    after = _json(run("C", "status", "--json"))
    assert after["pending"] == 0 and after["device_id"] != c_id
    assert _titles(run, "C") == ["Made offline on C", "Shared"]
    _ok(run("A", "sync"))
    assert _titles(run, "A") == ["Made offline on C", "Shared"]
    assert run("A", "get", "Shared", "--field", "username").stdout == "edited-on-c\n"


def test_login_after_a_password_change_elsewhere_keeps_offline_edits(run: Run) -> None:
    _setup(run)
    _ok(run("C", "add", "secure note", "--title", "Note from C", "--notes", "unsynced"))
    _ok(run("A", "change-password", "--json"))
    assert run("C", "sync").returncode in (3, 8)  # the old password no longer signs in
    _ok(run("C", "login", EMAIL, password=NEW_PASSWORD))
    assert _json(run("C", "status", "--json", password=NEW_PASSWORD))["pending"] == 0
    _ok(run("A", "sync", password=NEW_PASSWORD))
    assert _titles(run, "A", password=NEW_PASSWORD) == ["Note from C", "Shared"]
    assert run("A", "get", "Note from C", "--field", "notes", password=NEW_PASSWORD).stdout == "unsynced\n"
