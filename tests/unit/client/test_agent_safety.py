"""The agent client sends keys only to an agent of this user, in a directory only this user
controls; the agent survives malformed requests."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from tests.unit.client._agent import serve, short_dir

from safehold.client import agent as agent_module
from safehold.client.agent import AgentClient, AgentRefused, check_socket_dir

NOBODY = 65534
ACCOUNT = "aa" * 16






class _Eavesdropper:
    """A listener on the agent's path that records whatever a client sends it."""

    def __init__(self, path: Path) -> None:
        self.received: list[bytes] = []
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.bind(str(path))
        self.sock.listen(4)
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while self.running:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(1)
                try:
                    data = conn.recv(65536)
                except OSError:
                    data = b""
                self.received.append(data)
                if data:
                    conn.sendall(b'{"ok": true, "vk": "AAAA", "token": "stolen"}\n')

    def close(self) -> None:
        self.running = False
        self.thread.join(2)
        self.sock.close()


def test_directory_with_loose_mode_is_refused_and_nothing_is_sent() -> None:
    root = short_dir()
    directory = root / "run"
    directory.mkdir(mode=0o700)
    os.chmod(directory, 0o755)
    listener = _Eavesdropper(directory / "a.sock")
    try:
        client = AgentClient(directory / "a.sock", 30)
        assert client.put(ACCOUNT, b"k" * 32, "token") is False
        assert client.get(ACCOUNT) is None
        assert client.refused is not None and "0755" in client.refused and "0700" in client.refused
        with pytest.raises(AgentRefused, match="not 0700"):
            client.start()
        assert listener.received == []
    finally:
        listener.close()


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to give the directory to another user")
def test_directory_of_another_user_is_refused() -> None:
    directory = short_dir() / "run"
    directory.mkdir(mode=0o700)
    os.chown(directory, NOBODY, NOBODY)
    client = AgentClient(directory / "a.sock", 30)
    with pytest.raises(AgentRefused, match=f"belongs to user id {NOBODY}"):
        check_socket_dir(directory)
    with pytest.raises(AgentRefused):
        client.start()
    assert not (directory / "a.sock").exists()  # no agent was started in it


_FOREIGN_LISTENER = """
import os, socket, sys
sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
sock.bind(sys.argv[1])
os.chmod(sys.argv[1], 0o666)
os.setgid(UID); os.setuid(UID)   # the peer credentials are taken at listen()
sock.listen(4)
print("ready", flush=True)
sock.settimeout(10)
conn, _ = sock.accept()
conn.settimeout(2)
try:
    data = conn.recv(65536)
except OSError:
    data = b""
print("got", len(data), flush=True)
""".replace("UID", str(NOBODY))


@pytest.mark.skipif(os.getuid() != 0, reason="needs root to run a listener as another user")
def test_listener_of_another_user_gets_no_keys() -> None:
    directory = short_dir() / "run"
    directory.mkdir(mode=0o700)
    path = directory / "a.sock"
    child = subprocess.Popen(
        [sys.executable, "-c", _FOREIGN_LISTENER, str(path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        client = AgentClient(path, 30)
        assert client.put(ACCOUNT, b"k" * 32, "token") is False
        assert client.refused is not None and f"user id {NOBODY}" in client.refused
        out, _ = child.communicate(timeout=15)
        assert "got 0" in out  # the connection was closed before anything was sent
    finally:
        child.kill()
        child.wait()


def test_peer_of_another_user_is_refused_where_root_is_not_available(monkeypatch: pytest.MonkeyPatch) -> None:
    """The same check without root: the OS is made to report another user id."""
    directory = short_dir() / "run"
    directory.mkdir(mode=0o700)
    listener = _Eavesdropper(directory / "a.sock")
    monkeypatch.setattr(agent_module, "peer_uid", lambda conn: os.getuid() + 1)
    try:
        client = AgentClient(directory / "a.sock", 30)
        assert client.get(ACCOUNT) is None
        assert client.put(ACCOUNT, b"k" * 32, "token") is False
        assert client.refused is not None and "not as you" in client.refused
        time.sleep(0.3)
        assert all(chunk == b"" for chunk in listener.received)
    finally:
        listener.close()


def test_own_agent_in_a_private_directory_is_used() -> None:
    path = short_dir() / "run" / "a.sock"
    thread = serve(path)
    client = AgentClient(path, 30)
    assert client.put(ACCOUNT, b"k" * 32, "token")
    assert client.get(ACCOUNT) == (b"k" * 32, "token")
    assert client.refused is None
    assert client.lock()
    thread.join(5)


def _raw(path: Path, payload: bytes) -> object:
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
        sock.settimeout(5)
        sock.connect(str(path))
        sock.sendall(payload + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return json.loads(data)


@pytest.mark.parametrize(
    "request_body",
    [
        {"op": "put"},
        {"op": "put", "account_id": ACCOUNT},
        {"op": "put", "account_id": ACCOUNT, "vk": 5},
        {"op": "put", "account_id": ["x"], "vk": "AAAA"},
        {"op": "put", "account_id": ACCOUNT, "vk": "not base64 !!"},
        {"op": "put", "account_id": ACCOUNT, "vk": "AAAA", "token": {"x": 1}},
        ["op", "put"],
        "lock",
    ],
)
def test_malformed_requests_get_an_error_and_the_agent_keeps_running(request_body: object) -> None:
    path = short_dir() / "run" / "a.sock"
    thread = serve(path)
    client = AgentClient(path, 30)
    try:
        assert client.put(ACCOUNT, b"k" * 32, "token")
        answer = _raw(path, json.dumps(request_body).encode())
        assert isinstance(answer, dict) and answer["ok"] is False and answer["error"]
        assert thread.is_alive()
        # The keys already held are untouched and the agent still answers.
        assert client.get(ACCOUNT) == (b"k" * 32, "token")
    finally:
        client.lock()
        thread.join(5)
