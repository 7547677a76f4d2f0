"""The agent: a 0600 socket, keys forgotten on lock and after the idle timeout."""

from __future__ import annotations

import os
import stat
import time

from tests.unit.client._agent import serve, short_dir

from safehold.client.agent import AgentClient


def test_put_get_lock() -> None:
    path = short_dir() / "run" / "a.sock"
    thread = serve(path, idle=30)
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
    path = short_dir() / "b.sock"
    thread = serve(path, idle=0.6)
    client = AgentClient(path, 0.6)
    client.put("aa" * 16, b"k" * 32, None)
    time.sleep(0.3)
    assert client.get("aa" * 16) is not None  # use resets the timer
    thread.join(5)
    assert not thread.is_alive()
    assert client.get("aa" * 16) is None


def test_client_starts_a_detached_agent() -> None:
    path = short_dir() / "c.sock"
    client = AgentClient(path, 5)
    client.start()
    try:
        assert client.running()
        client.put("aa" * 16, b"k" * 32, "t")
        assert client.get("aa" * 16) == (b"k" * 32, "t")
    finally:
        client.lock()
