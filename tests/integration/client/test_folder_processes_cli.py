"""Real processes: CLI profiles on folder vaults, each with its own real agent.

- two profiles on one folder: the agents sync by themselves (a short interval), a local
  change goes out within the delay even with a long interval, `status` says when the last
  sync ran and what it found, and a folder that vanishes is retried with back-off, never
  in a loop;
- two profiles on two folders joined by the sync-service copier (copies file by file,
  half-copied files, conflicted copies in the services' spellings), synced with
  `safehold sync` processes: every edit reaches both.

Waits poll for a state with a generous deadline; nothing asserts how long a step took.
"""

from __future__ import annotations

import json
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.support.syncservice import SyncService
from tests.unit.client._passwords import PASSWORD

EMAIL = "ann@example.com"
DEADLINE = 60.0

pytestmark = pytest.mark.slow


class Device:
    def __init__(
        self, home: Path, runtime: Path, name: str, server: str = "http://127.0.0.1:9", **env: str
    ) -> None:
        self.name = name
        self.profile = home / name
        self.env = profile_env(
            home=home, profile=self.profile, server=server, runtime=runtime / name,
            device_name=name, **env,
        )  # fmt: skip

    def run(self, *args: str, stdin: str | None = None, **env: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "safehold.cli.main", *args],
            env={**self.env, **env}, input=stdin, capture_output=True, text=True, timeout=120,
        )  # fmt: skip

    def ok(self, *args: str, **env: str) -> Any:
        result = self.run(*args, **env)
        assert result.returncode == 0, (
            f"{self.name} {args}: exit {result.returncode}: {result.stderr}{result.stdout}"
        )
        return json.loads(result.stdout) if result.stdout.startswith(("{", "[")) else result.stdout

    def titles(self) -> list[str]:
        return sorted(i["title"] for i in self.ok("list", "--json"))

    def unlock(self) -> None:
        result = self.run("unlock", "--password-stdin", "--json", stdin=PASSWORD + "\n")
        assert result.returncode == 0 and json.loads(result.stdout)["unlocked"], result.stderr

    def lock(self) -> None:
        self.run("lock")


def _scan(roots: list[Path], secrets: list[str]) -> None:
    """Zero knowledge: no file under ``roots`` holds any of ``secrets``."""
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                data = path.read_bytes()
                for secret in secrets:
                    assert secret.encode() not in data, f"{secret!r} in {path}"


def _until(what: Callable[[], bool], message: str) -> None:
    deadline = time.monotonic() + DEADLINE
    while time.monotonic() < deadline:
        if what():
            return
        time.sleep(0.2)
    raise AssertionError(message)


@pytest.fixture
def place(tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))
    yield tmp_path, runtime


def _pair(place: tuple[Path, Path], folder_a: Path, folder_b: Path, **env: str) -> tuple[Device, Device]:
    home, runtime = place
    a, b = Device(home, runtime, "A", **env), Device(home, runtime, "B", **env)
    key = a.ok("signup", EMAIL, "--folder", str(folder_a), "--json", SAFEHOLD_PASSWORD=PASSWORD)[
        "account_key"
    ]
    if folder_b != folder_a:
        SyncService([folder_a, folder_b]).settle()
    b.ok("login", EMAIL, "--folder", str(folder_b), "--account-key", key, SAFEHOLD_PASSWORD=PASSWORD)
    return a, b


def test_agents_sync_by_themselves_and_status_says_so(place: tuple[Path, Path]) -> None:
    folder = place[0] / "Dropbox"
    a, b = _pair(place, folder, folder, SAFEHOLD_SYNC_INTERVAL="1", SAFEHOLD_SYNC_DELAY="0.2")
    a.unlock()
    b.unlock()
    try:
        a.ok("add", "login", "--title", "From A", "-f", "username=a")
        b.ok("add", "login", "--title", "From B", "-f", "username=b")
        # Nobody types `safehold sync`: both agents push and pull on their own.
        _until(lambda: a.titles() == b.titles() == ["From A", "From B"], "the agents did not sync")
        status = a.ok("status", "--json")
        assert status["last_sync"]["by"] == "agent" and status["last_sync"]["ok"]
        assert status["auto_sync"]["interval"] == 1 and status["auto_sync"]["failures"] == 0
        human = b.ok("status")
        assert "by the agent" in human and "Automatic sync" in human
        # An edit on B reaches A, and a deletion too.
        b.ok("edit", "From A", "-f", "username=edited-on-b")
        _until(
            lambda: "edited-on-b" in a.ok("get", "From A", "--field", "username"), "the edit did not arrive"
        )
        a.ok("rm", "From B")
        _until(lambda: b.titles() == ["From A"], "the deletion did not arrive")
        # The folder goes away (an unmounted drive): the agent backs off, never spins, and
        # reads keep working from the local vault.
        moved = folder.with_name("unmounted")
        folder.rename(moved)
        _until(lambda: a.ok("status", "--json")["auto_sync"]["failures"] >= 2, "no failure was seen")
        time.sleep(3)
        state = a.ok("status", "--json")
        # Retries after 1, 2, 4… seconds: a handful in these seconds, not a loop.
        assert 2 <= state["auto_sync"]["failures"] <= 8, state["auto_sync"]
        assert not state["last_sync"]["ok"] and "Dropbox" in state["last_sync"]["error"]
        assert a.titles() == ["From A"]
        moved.rename(folder)
        a.ok("add", "login", "--title", "After the outage", "-f", "username=a")
        _until(lambda: b.titles() == ["After the outage", "From A"], "sync did not resume")
        key = a.ok("kit", "--json")["account_key"]
        _scan([folder], [PASSWORD, key, "From A", "After the outage", "edited-on-b"])
        # A reset from B: A's agent finds it by itself, archives A's copy and locks.
        a.ok("add", "login", "--title", "Only on A", "-f", "username=a")
        new = b.ok(
            "reset",
            "--folder",
            str(folder),
            "--yes",
            "--json",
            SAFEHOLD_NEW_PASSWORD="copper meadow quietly 83",
        )

        def reset_seen() -> bool:
            # One status per look: the agent may archive between two of them.
            shown = a.run("status", "--json")
            return shown.returncode != 0 or not json.loads(shown.stdout)["unlocked"]

        _until(reset_seen, "A's agent did not see the reset")
        archives = a.ok("archive", "list", "--json")["archives"]
        assert len(archives) == 1 and archives[0]["generation"] == 1
        assert "g1" in {p.name for p in (folder / "archive").iterdir()}
        _scan([folder], [PASSWORD, key, new["account_key"], "Only on A"])
    finally:
        a.lock()
        b.lock()


def test_agents_sync_a_server_vault_by_themselves(place: tuple[Path, Path], server: ServerHandle) -> None:
    home, runtime = place
    env = {"SAFEHOLD_SYNC_INTERVAL": "1", "SAFEHOLD_SYNC_DELAY": "0.2"}
    a = Device(home, runtime, "A", server.base_url, **env)
    b = Device(home, runtime, "B", server.base_url, **env)
    key = a.ok("signup", EMAIL, "--json", SAFEHOLD_PASSWORD=PASSWORD)["account_key"]
    b.ok("login", EMAIL, "--account-key", key, SAFEHOLD_PASSWORD=PASSWORD)
    a.unlock()
    b.unlock()
    try:
        a.ok("add", "login", "--title", "Through the server", "-f", "username=a")
        _until(lambda: b.titles() == ["Through the server"], "the agents did not sync through the server")
        last = b.ok("status", "--json")["last_sync"]
        assert last["by"] == "agent" and last["transport"]["kind"] == "server"
        # The server is stopped: the agents back off, reads keep working.
        server.stop()
        _until(lambda: a.ok("status", "--json")["auto_sync"]["failures"] >= 2, "no failure was seen")
        assert a.titles() == ["Through the server"]
        assert a.ok("status", "--json")["last_sync"]["kind"] == "unreachable"
    finally:
        a.lock()
        b.lock()


def test_a_local_change_goes_out_within_the_delay_not_the_interval(place: tuple[Path, Path]) -> None:
    folder = place[0] / "vault"
    a, b = _pair(place, folder, folder, SAFEHOLD_SYNC_INTERVAL="3600", SAFEHOLD_SYNC_DELAY="0.3")
    a.unlock()
    try:
        before = set((folder / "g1").iterdir())
        a.ok("add", "login", "--title", "Pushed by the agent", "-f", "username=a")
        _until(lambda: any(p.suffix == ".seg" for p in set((folder / "g1").iterdir()) - before),
               "the agent did not push the change")  # fmt: skip
        b.ok("sync", SAFEHOLD_PASSWORD=PASSWORD)
        assert b.ok("list", "--json", SAFEHOLD_PASSWORD=PASSWORD)[0]["title"] == "Pushed by the agent"
    finally:
        a.lock()


def test_two_folders_joined_by_a_sync_service_with_real_processes(place: tuple[Path, Path]) -> None:
    here, there = place[0] / "laptop", place[0] / "phone"
    there.mkdir()
    a, b = _pair(place, here, there, SAFEHOLD_PASSWORD=PASSWORD)
    service = SyncService([here, there], rng=random.Random(7))
    service.truncate_rate, service.conflict_rate = 0.3, 0.5
    for n in range(4):
        a.ok("add", "login", "--title", f"A{n}", "-f", "username=a")
        b.ok("add", "login", "--title", f"B{n}", "-f", "username=b")
        if n == 2:
            b.ok("edit", "A0", "-f", "username=edited")
        a.ok("sync")
        b.ok("sync")
        for _ in range(5):
            service.step()
    for _ in range(3):
        service.settle()
        a.ok("sync")
        b.ok("sync")
    expected = sorted([f"A{n}" for n in range(4)] + [f"B{n}" for n in range(4)])
    assert a.titles() == b.titles() == expected
    assert "edited" in a.ok("get", "A0", "--field", "username")


def test_reads_never_wait_for_a_sync_stuck_on_the_network(
    place: tuple[Path, Path], server: ServerHandle
) -> None:
    home, runtime = place
    env = {"SAFEHOLD_SYNC_INTERVAL": "3600", "SAFEHOLD_SYNC_DELAY": "0.2"}
    a = Device(home, runtime, "A", server.base_url, **env)
    a.ok("signup", EMAIL, SAFEHOLD_PASSWORD=PASSWORD)
    a.ok("add", "login", "--title", "Readable", "-f", "username=ann", SAFEHOLD_PASSWORD=PASSWORD)
    a.unlock()
    try:
        _until(lambda: a.ok("status", "--json")["auto_sync"]["syncs"] == 1, "the first sync did not run")
        # The server goes silent: connections are taken but never answered.
        server.stop()
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as hole:
            hole.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            hole.bind(("127.0.0.1", server.port))
            hole.listen(16)
            a.ok("add", "login", "--title", "Waiting", "-f", "username=ann")
            time.sleep(2)  # the agent's sync of that edit is now stuck on the silent server
            stuck = a.ok("status", "--json")["auto_sync"]
            assert stuck["syncs"] == 1 and stuck["failures"] == 0, stuck
            # Reads are answered all the same, from the local vault.
            assert a.titles() == ["Readable", "Waiting"]
            assert a.ok("get", "Readable", "--field", "username").strip() == "ann"
            assert a.ok("status", "--json")["auto_sync"]["syncs"] == 1, "the sync was still stuck"
    finally:
        a.lock()


def test_one_sync_of_a_vault_at_a_time_on_a_device(place: tuple[Path, Path]) -> None:
    """A command's sync and the agent's would both take the next file number of this
    device in the folder; the second waits for the first."""
    from safehold.client.account import sync_lock

    folder = place[0] / "vault"
    a, _b = _pair(place, folder, folder)
    a.ok("add", "login", "--title", "Queued", "-f", "username=a", SAFEHOLD_PASSWORD=PASSWORD)
    account_id = a.ok("status", "--json")["account_id"]
    with sync_lock(a.profile / "locks" / f"{account_id}.sync"):
        waiting = subprocess.Popen(
            [sys.executable, "-m", "safehold.cli.main", "sync", "--json"],
            env={**a.env, "SAFEHOLD_PASSWORD": PASSWORD}, stdout=subprocess.PIPE, text=True,
        )  # fmt: skip
        time.sleep(2)
        assert waiting.poll() is None, "the second sync did not wait"
        assert not any(p.suffix == ".seg" for p in (folder / "g1").iterdir())
    out, _ = waiting.communicate(timeout=60)
    assert waiting.returncode == 0 and json.loads(out)["pushed"] == 1


def test_syncs_killed_at_any_point_lose_nothing_in_a_folder(place: tuple[Path, Path]) -> None:
    """`kill -9` of `safehold sync` while it pushes to or pulls from a folder: the files it
    left half-written are temporaries nobody reads, and the next sync finishes the job."""
    from safehold.client.account import AccountService
    from safehold.client.settings import ClientSettings

    folder = place[0] / "vault"
    a, b = _pair(place, folder, folder, SAFEHOLD_PASSWORD=PASSWORD)
    service = AccountService(ClientSettings.load(env=a.env))
    unlocked = service.unlock(PASSWORD)
    with unlocked.store.transaction():
        for i in range(1500):
            unlocked.vault.put({"type": "login", "title": f"Site {i:05d}", "fields": {"password": f"pw{i}"}})
    unlocked.close()
    expected = [f"Site {i:05d}" for i in range(1500)]

    def killed(device: Device) -> list[int]:
        statuses = []
        for step in range(10):
            process = subprocess.Popen(
                [sys.executable, "-m", "safehold.cli.main", "sync"],
                env=device.env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            )  # fmt: skip
            time.sleep(0.3 + 0.1 * step)
            process.send_signal(signal.SIGKILL)
            statuses.append(process.wait(timeout=60))
            assert device.ok("status", "--json")["email"] == EMAIL  # the vault still opens
        return statuses

    killed(a)
    a.ok("sync")
    assert a.ok("status", "--json")["pending"] == 0
    killed(b)
    b.ok("sync")
    assert a.titles() == b.titles() == expected
    # A third device joining now reads exactly the same.
    c = Device(place[0], place[1], "C", SAFEHOLD_PASSWORD=PASSWORD)
    key = a.ok("kit", "--json")["account_key"]
    c.ok("login", EMAIL, "--folder", str(folder), "--account-key", key)
    assert c.titles() == expected
