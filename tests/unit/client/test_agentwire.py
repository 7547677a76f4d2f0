"""The fast path's own end of the agent socket (client/agentwire.py): the same refusals as
AgentClient before anything is sent, and requests and answers that survive any text."""

from __future__ import annotations

import json
import os
import sys
import time

import pytest
from tests.unit.client._agent import serve, short_dir
from tests.unit.client.test_agent_safety import NOBODY, _Eavesdropper

from safehold.client import agentwire
from safehold.client.agent import AgentClient

TRICKY = ["plain", 'quote " and \\ backslash', "new\nline\ttab\x00nul", "é ü 中文 🔑", "\u2028\u2029", ""]


@pytest.mark.parametrize("text", TRICKY)
def test_requests_and_answers_keep_any_text(text: str) -> None:
    line = "{" + agentwire._encode("k") + ": " + agentwire._encode(text) + "}"
    assert json.loads(line) == {"k": text}  # what the agent's json.loads reads
    answer = json.dumps({"ok": True, "stdout": text, "n": [1, 2.5, None, False]}).encode()
    assert agentwire._decode(answer + b"\n") == {"ok": True, "stdout": text, "n": [1, 2.5, None, False]}
    unescaped = json.dumps({"stdout": text}, ensure_ascii=False).encode()
    assert agentwire._decode(unescaped) == {"stdout": text}


@pytest.mark.parametrize("bad", [b"{", b'{"a": 1} x', b"NaN", b'{"a": Infinity}', b"\xff"])
def test_malformed_answers_are_value_errors(bad: bytes) -> None:
    with pytest.raises(ValueError):
        agentwire._decode(bad)


def test_only_strings_and_flags_are_sent() -> None:
    with pytest.raises(TypeError):
        agentwire._encode(3)


def test_a_real_agent_answers_through_it() -> None:
    path = short_dir() / "run" / "a.sock"
    thread = serve(path)
    try:
        client = AgentClient(path, 30)
        assert client.put("aa" * 16, b"k" * 32, "token")
        assert agentwire.call(str(path), {"op": "ping"}) == {"ok": True, "accounts": 1}
        # No keys for that account: a plain refusal, which the fast path leaves to the full CLI.
        assert agentwire.call(str(path), {"op": "print", "account_id": "bb" * 16, "what": "list"}) == {
            "ok": False
        }
        assert agentwire.call(str(path.parent / "missing.sock"), {"op": "ping"}) is None
    finally:
        AgentClient(path, 30).lock()
        thread.join(5)


def test_loose_directory_or_foreign_peer_is_refused_before_sending(monkeypatch: pytest.MonkeyPatch) -> None:
    directory = short_dir() / "run"
    directory.mkdir(mode=0o700)
    listener = _Eavesdropper(directory / "a.sock")
    try:
        os.chmod(directory, 0o755)
        with pytest.raises(agentwire.AgentRefused, match="not 0700"):
            agentwire.call(str(directory / "a.sock"), {"op": "get", "account_id": "x"})
        os.chmod(directory, 0o700)
        monkeypatch.setattr(agentwire, "peer_uid", lambda conn: NOBODY if os.getuid() != NOBODY else 0)
        with pytest.raises(agentwire.AgentRefused, match="not as you"):
            agentwire.call(str(directory / "a.sock"), {"op": "get", "account_id": "x"})
        time.sleep(0.3)
        assert all(chunk == b"" for chunk in listener.received)  # nothing was sent
    finally:
        listener.close()


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="SO_PEERCRED is Linux's")
def test_peer_uid_reads_the_real_credentials() -> None:
    import socket

    left, right = socket.socketpair(socket.AF_UNIX, socket.SOCK_STREAM)
    with left, right:
        assert agentwire.peer_uid(left) == os.getuid()
