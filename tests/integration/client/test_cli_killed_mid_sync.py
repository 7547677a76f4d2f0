"""A `safehold sync` killed (SIGKILL) part way through a push or a pull loses nothing: the
vault still opens, the next sync finishes the job, and every device ends with every item.

The kills land wherever the process happens to be (start-up, pushing, pulling, writing
the local vault); what is asserted holds wherever that was.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.unit.client._passwords import PASSWORD

from safehold.client.account import AccountService
from safehold.client.settings import ClientSettings
from safehold.crypto import KdfParams

EMAIL = "ann@example.com"
ITEMS = 2500
#: Seconds after start at which each attempt is killed: every 50 ms from late start-up
#: until the work is surely done, so some kills land in the middle of it on any machine.
KILL_AFTER = tuple(0.3 + 0.05 * step for step in range(14))


class Device:
    def __init__(self, server: ServerHandle, home: Path, runtime: Path, name: str) -> None:
        self.server, self.name = server, name
        self.profile = home / name
        self.runtime = runtime / name
        self.env = profile_env(
            home=home, profile=self.profile, server=server.base_url, runtime=self.runtime,
            device_name=name, SAFEHOLD_PASSWORD=PASSWORD,
        )  # fmt: skip

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "safehold.cli.main", *args],
            env=self.env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def ok(self, *args: str) -> str:
        result = self.run(*args)
        assert result.returncode == 0, f"{args}: exit {result.returncode}: {result.stderr}{result.stdout}"
        return result.stdout

    def killed_runs(self, *args: str, signed_in: bool = True) -> list[int]:
        """Run ``args`` once per delay in KILL_AFTER, killing it then; the exit statuses.
        With ``signed_in`` the vault must open after every kill."""
        statuses = []
        for delay in KILL_AFTER:
            process = subprocess.Popen(
                [sys.executable, "-m", "safehold.cli.main", *args],
                env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(delay)
            process.send_signal(signal.SIGKILL)
            statuses.append(process.wait(timeout=60))
            if signed_in and statuses[-1] == -signal.SIGKILL:  # cut short: the vault still opens
                assert json.loads(self.ok("status", "--json"))["email"] == EMAIL
        return statuses

    def titles(self) -> list[str]:
        return sorted(item["title"] for item in json.loads(self.ok("list", "--json")))


@pytest.fixture
def devices(server: ServerHandle, tmp_path: Path) -> tuple[Device, Device, Device]:
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))
    return tuple(Device(server, tmp_path, runtime, name) for name in "ABC")  # type: ignore[return-value]


def test_killed_syncs_and_logins_lose_nothing(devices: tuple[Device, Device, Device]) -> None:
    a, b, c = devices
    key = json.loads(a.ok("signup", EMAIL, "--json"))["account_key"]
    b.ok("login", EMAIL, "--account-key", key)  # while the vault is still empty
    # Many edits waiting in A's outbox, made through the client library (as `add` would,
    # without a process per item).
    service = AccountService(
        ClientSettings(home=a.profile, server=a.server.base_url, keystore="file",
                       device_name="A", runtime_dir=a.runtime, kdf_floor=KdfParams(1, 8, 1),
                       test_only_insecure_signup_kdf=KdfParams(1, 8, 1))
    )  # fmt: skip
    unlocked = service.unlock(PASSWORD)
    with unlocked.store.transaction():
        for i in range(ITEMS):
            unlocked.vault.put({"v": 1, "type": "login", "title": f"Site {i:05d}",
                                "fields": {"password": f"pw{i}"}, "custom": [], "tags": [],
                                "favorite": False, "notes": "",
                                "created": "2024-01-01T00:00:00Z", "modified": "2024-01-01T00:00:00Z",
                                "history": []})  # fmt: skip
    unlocked.close()
    expected = [f"Site {i:05d}" for i in range(ITEMS)]

    pushes = a.killed_runs("sync")  # A pushes
    # Exit 0, not 15: a write sealed before a kill is re-sent as it is (or acknowledged by
    # the pull that brings it back), so no device sees a gap, a replay or a refusal.
    a.ok("sync")
    assert json.loads(a.ok("status", "--json"))["pending"] == 0
    assert a.titles() == expected

    pulls = b.killed_runs("sync")  # B pulls
    report = json.loads(b.ok("sync", "--json"))
    assert report["refused"] == [] and report["gaps"] == [] and report["quarantined"] == []
    assert b.titles() == expected

    c.killed_runs("login", EMAIL, "--account-key", key, signed_in=False)  # C signs in and pulls
    c.ok("login", EMAIL, "--account-key", key)
    c.ok("sync")
    assert c.titles() == expected
    # At least one kill in each phase found the process still at work, not already done.
    assert -signal.SIGKILL in pushes and -signal.SIGKILL in pulls
