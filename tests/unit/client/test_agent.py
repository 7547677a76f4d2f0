"""The agent: a 0600 socket, keys forgotten on lock and after the idle timeout."""

from __future__ import annotations

import os
import stat
import threading
import time
from pathlib import Path

from safehold.client.agent import AgentClient, AgentServer


def _serve(path: Path, idle: float) -> threading.Thread:
    server = AgentServer(path, idle)
    thread = threading.Thread(target=server.serve, daemon=True)
    thread.start()
    deadline = time.monotonic() + 5
    while not path.exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread


def _short_dir() -> Path:
    # Unix socket paths are limited to ~100 bytes; pytest's tmp_path can be longer.
    import tempfile

    return Path(tempfile.mkdtemp(prefix="sh-"))


def test_put_get_lock() -> None:
    path = _short_dir() / "run" / "a.sock"
    thread = _serve(path, idle=30)
    client = AgentClient(path, 30)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert stat.S_IMODE(os.stat(path.parent).st_mode) == 0o700
    assert client.running()
    assert client.put("aa" * 16, b"k" * 32, "token")
    assert client.get("aa" * 16) == (b"k" * 32, "token")
    assert client.get("bb" * 16) is None
    client.forget("aa" * 16)
    assert client.get("aa" * 16) is None
    client.put("aa" * 16, b"k" * 32, None)
    assert client.lock()
    thread.join(5)
    assert not thread.is_alive() and not path.exists()
    assert client.get("aa" * 16) is None and not client.running()


def test_idle_timeout_forgets_keys() -> None:
    path = _short_dir() / "b.sock"
    thread = _serve(path, idle=0.6)
    client = AgentClient(path, 0.6)
    client.put("aa" * 16, b"k" * 32, None)
    time.sleep(0.3)
    assert client.get("aa" * 16) is not None  # use resets the timer
    thread.join(5)
    assert not thread.is_alive()
    assert client.get("aa" * 16) is None


def test_client_starts_a_detached_agent() -> None:
    path = _short_dir() / "c.sock"
    client = AgentClient(path, 5)
    client.start()
    try:
        assert client.running()
        client.put("aa" * 16, b"k" * 32, "t")
        assert client.get("aa" * 16) == (b"k" * 32, "t")
    finally:
        client.lock()
