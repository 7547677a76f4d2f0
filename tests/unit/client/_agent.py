"""A real agent on a real Unix socket, for the agent tests."""

from __future__ import annotations

import tempfile
import threading
import time
from pathlib import Path

from safehold.client.agent import AgentClient, AgentServer


def short_dir() -> Path:
    # Unix socket paths are limited to ~100 bytes; pytest's tmp_path can be longer.
    return Path(tempfile.mkdtemp(prefix="sh-"))


def serve(path: Path, idle: float = 30) -> threading.Thread:
    """Start an agent at ``path`` in a thread; returns once it answers (the socket file
    appears at bind, a moment before the agent listens), as ``AgentClient.start`` waits."""
    thread = threading.Thread(target=AgentServer(path, idle).serve, daemon=True)
    thread.start()
    client = AgentClient(path, idle)
    deadline = time.monotonic() + 5
    while not client.running() and time.monotonic() < deadline:
        time.sleep(0.01)
    return thread
