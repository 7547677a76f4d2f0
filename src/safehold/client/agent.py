"""The per-user agent: a small process that keeps unlocked vault keys in memory.

``safehold unlock`` starts it (one per profile) and hands it the vault key and session
token; later commands ask it for them instead of the password. It listens on a Unix
socket created 0600 inside a 0700 directory of the user's runtime dir, and additionally
refuses peers of another user id (``SO_PEERCRED``).

The client trusts the socket no more than the agent trusts the client: without
``XDG_RUNTIME_DIR`` the directory is under /tmp, where another local user could create it
first and listen in it. So before sending anything the client checks that the directory is
this user's own with mode 0700 and that the process at the other end runs as this user;
otherwise it refuses the agent (:class:`AgentRefused`) and the password is asked each time.

The agent forgets every key and exits after ``idle`` seconds without a request (default
10 minutes), or on ``safehold lock``. While it holds an account's keys (given with a
``sync`` part) it syncs that account by itself (client/autosync.py, loaded only then); its
own syncs never count as use, so they never keep the keys past the idle timeout.

Requests and answers are one JSON object per line:

    {"op": "put", "account_id": ..., "vk": <b64>, "token": ...,
     "sync": {"home": PATH, "interval": s, "delay": s} (optional)}  ->  {"ok": true}
    {"op": "get", "account_id": ...}                             ->  {"ok": true, "vk": ..., "token": ...}
    {"op": "forget", "account_id": ...} | {"op": "lock"} | {"op": "ping"}
    {"op": "poke", "account_id": ...}        a local change: sync within the delay
    {"op": "sync_state", "account_id": ...}  ->  {"ok": true, "state": {...} | null}
    {"op": "read", "account_id": ..., "vault": PATH, "what": "field"|"list"|"totp", ...}
        -> {"ok": true, "answer": ...} (client.reads: the common reads answered here, from
           the keys already held, so a command need not load the whole CLI; see cli/fast.py)
    {"op": "print", ...the same as "read", "tty": bool}
        -> {"ok": true, "stdout": TEXT, "stderr": TEXT}: what the command prints, rendered
           here, so the fast path writes it without decoding and encoding it (agentwire.py)
    {"op": "print", "what": "status", "json": bool, "home": PATH, "keystore": MODE, ...}
        -> the same, for `status` (client/status.py renders it for both paths)

This module imports nothing heavy at the top: the fast path of the CLI talks to the agent
through it, and every millisecond of import is a millisecond of every `safehold get`.

A malformed request gets ``{"ok": false, "error": ...}``; the agent keeps running.

Run as ``python -m safehold.client.agent --socket PATH --idle SECONDS``.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import sys
import time
from base64 import urlsafe_b64decode, urlsafe_b64encode

from .agentwire import AgentRefused, AgentSocketTooLong, check_socket, check_socket_dir, peer_uid

__all__ = ["AgentClient", "AgentRefused", "AgentServer", "AgentSocketTooLong", "check_socket_dir"]

# Not `from typing import TYPE_CHECKING`: importing typing costs every fast read a few ms.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any


def b64encode(data: bytes) -> str:
    """base64url without padding, as ``safehold.crypto`` writes it (not imported: see above)."""
    return urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Inverse of :func:`b64encode`; a malformed value raises ``ValueError``."""
    if not isinstance(text, str):
        raise TypeError("base64 text expected")
    return urlsafe_b64decode(text + "=" * (-len(text) % 4))


#: How long a client waits for a freshly started agent to listen.
START_WAIT = 5.0


class AgentServer:
    def __init__(self, path: Path, idle: float) -> None:
        self.path = path
        self.idle = idle
        self.keys: dict[str, tuple[bytes, str | None]] = {}
        #: Items the agent decrypted for reads, by (item id, envelope): a changed item is a
        #: new key, so nothing here goes stale. Dropped with the keys.
        self.read_cache: dict[str, Any] = {}  # account id -> reads.ReadCache
        self.deadline = time.monotonic() + idle
        self.running = True
        self.autosync: Any = None  # autosync.AutoSync, made by the first put that asks for it

    def _bind(self) -> socket.socket:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.path.parent, 0o700)
        self.path.unlink(missing_ok=True)
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old = os.umask(0o177)
        try:
            sock.bind(str(self.path))
        finally:
            os.umask(old)
        os.chmod(self.path, 0o600)
        sock.listen(8)
        sock.settimeout(0.5)
        return sock

    def serve(self) -> None:
        sock = self._bind()
        try:
            while self.running and time.monotonic() < self.deadline:
                try:
                    conn, _ = sock.accept()
                except TimeoutError:
                    continue
                with conn:
                    self._serve_one(conn)
        finally:
            self.keys.clear()
            sock.close()
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()
            # Gone from the socket first (a new agent may start meanwhile), then let a sync
            # under way finish: one cut short loses nothing, but the next has to redo it.
            if self.autosync is not None:
                self.autosync.stop()
                self.autosync.join(30.0)

    def _serve_one(self, conn: socket.socket) -> None:
        conn.settimeout(5.0)
        if not _same_user(conn):
            return
        try:
            data = _recv_line(conn)
            request = json.loads(data)
        except (OSError, ValueError):
            return
        answer = self.answer(request)
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps(answer).encode() + b"\n")

    def answer(self, request: object) -> dict[str, Any]:
        """:meth:`handle`, with a malformed request answered by an error instead of a crash."""
        if not isinstance(request, dict):
            return {"ok": False, "error": "a request is a JSON object"}
        try:
            return self.handle(request)
        except (KeyError, TypeError, ValueError) as exc:
            return {"ok": False, "error": f"bad request: {exc.__class__.__name__} {exc}"}

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        op = request.get("op")
        self.deadline = time.monotonic() + self.idle
        if op == "put":
            account_id, vk, token = request["account_id"], request["vk"], request.get("token")
            if not isinstance(account_id, str) or not isinstance(vk, str):
                raise TypeError("account_id and vk must be strings")
            if token is not None and not isinstance(token, str):
                raise TypeError("token must be a string or null")
            sync = request.get("sync")
            plan = None if sync is None else _sync_plan(sync)  # checked before anything is kept
            self.keys[account_id] = (b64decode(vk), token)
            if plan is not None:
                self._watch(account_id, *plan)
            return {"ok": True}
        if op == "get":
            found = self.keys.get(str(request.get("account_id")))
            if found is None:
                return {"ok": False}
            return {"ok": True, "vk": b64encode(found[0]), "token": found[1]}
        if op == "forget":
            self._forget(str(request.get("account_id")))
            return {"ok": True}
        if op == "lock":
            if self.autosync is not None:
                self.autosync.stop()
            self.keys.clear()
            self.read_cache.clear()
            self.running = False
            return {"ok": True}
        if op == "poke":
            account_id = str(request.get("account_id"))
            poked = self.autosync is not None and account_id in self.keys and self.autosync.poke(account_id)
            return {"ok": bool(poked)}
        if op == "sync_state":
            state = None if self.autosync is None else self.autosync.state(str(request.get("account_id")))
            return {"ok": True, "state": state}
        if op == "ping":
            return {"ok": True, "accounts": len(self.keys)}
        if op == "read":
            found = self.keys.get(str(request.get("account_id")))
            if found is None:
                return {"ok": False}
            from .reads import answer_read  # the domain code: loaded once, on the first read

            return answer_read(request, found[0], self.read_cache)
        if op == "print":
            account_id = str(request.get("account_id"))
            found = self.keys.get(account_id)
            if found is None:
                return {"ok": False}
            if request.get("what") == "status":
                from .reads import print_status

                plan = None if self.autosync is None else self.autosync.state(account_id)
                return print_status(request, found[0], self.read_cache, plan)
            from .reads import print_read

            return print_read(request, found[0], self.read_cache)
        return {"ok": False, "error": "unknown op"}

    def _forget(self, account_id: str) -> None:
        if self.autosync is not None:
            self.autosync.drop(account_id)
        self.keys.pop(account_id, None)
        self.read_cache.clear()

    def _watch(self, account_id: str, home: str, interval: float, delay: float) -> None:
        from pathlib import Path

        if self.autosync is None:
            from .autosync import AutoSync

            self.autosync = AutoSync(self.keys.get, self._forget, interval=interval, delay=delay)
        self.autosync.interval, self.autosync.delay = interval, delay
        self.autosync.watch(account_id, Path(home))


def _sync_plan(sync: object) -> tuple[str, float, float]:
    """``(home, interval, delay)`` of a put's ``sync`` part; ``ValueError`` if malformed."""
    if not isinstance(sync, dict):
        raise TypeError("sync must be an object")
    home, interval, delay = sync["home"], float(sync["interval"]), float(sync["delay"])
    if not isinstance(home, str) or not interval >= 0 or not delay >= 0:
        raise ValueError("sync needs a home, an interval and a delay")
    return home, interval, delay


def _same_user(conn: socket.socket) -> bool:
    uid = peer_uid(conn)
    # Without SO_PEERCRED, the 0600 socket in a 0700 directory restricts who can connect.
    return uid is None or uid == os.getuid()


def _recv_line(conn: socket.socket) -> bytes:
    chunks = []
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    return b"".join(chunks)


class AgentClient:
    """Talks to the agent of one profile; every method is a no-op when none is running or the
    agent is refused (then :attr:`refused` says why, and callers ask for the password)."""

    def __init__(self, path: str | os.PathLike[str], idle: float) -> None:
        # A str or a Path: the fast path passes a str, so pathlib is not loaded for it.
        self.path = path
        self.idle = idle
        #: Why the agent was not used, when a check failed.
        self.refused: str | None = None

    def _check_dir(self) -> None:
        try:
            check_socket(self.path)
        except AgentRefused as exc:
            self.refused = str(exc)
            raise

    def _call(self, request: dict[str, Any]) -> dict[str, Any] | None:
        try:
            self._check_dir()
        except AgentRefused:
            return None
        if not os.path.exists(self.path):
            return None
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(5.0)
                sock.connect(os.fspath(self.path))
                uid = peer_uid(sock)
                if uid is not None and uid != os.getuid():
                    self.refused = (
                        f"the process listening on {self.path} runs as user id {uid}, not as you "
                        f"({os.getuid()}); not using the agent"
                    )
                    return None
                sock.sendall(json.dumps(request).encode() + b"\n")
                answer = json.loads(_recv_line(sock) or b"null")
        except (OSError, ValueError):
            return None
        return answer if isinstance(answer, dict) else None

    def running(self) -> bool:
        answer = self._call({"op": "ping"})
        return bool(answer and answer.get("ok"))

    def start(self) -> None:
        """Start the agent unless one runs; :class:`AgentRefused` (an ``OSError``) if its
        directory is unsafe."""
        from pathlib import Path

        directory = Path(os.path.dirname(self.path))
        if not directory.exists():
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._check_dir()
        if self.running():
            return
        if self.refused:
            raise AgentRefused(self.refused)
        import subprocess  # here, not at the top: the fast path never starts an agent

        subprocess.Popen(  # noqa: S603 — our own interpreter and module, no shell
            [
                sys.executable,
                "-m",
                "safehold.client.agent",
                "--socket",
                os.fspath(self.path),
                "--idle",
                str(self.idle),
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            close_fds=True,
        )
        deadline = time.monotonic() + START_WAIT
        while time.monotonic() < deadline:
            if self.running():
                return
            time.sleep(0.05)
        raise OSError("the safehold agent did not start")

    def put(self, account_id: str, vk: bytes, token: str | None, sync: dict[str, Any] | None = None) -> bool:
        """Hand over the keys; with ``sync`` (``home``, ``interval``, ``delay``) the agent also
        syncs the account by itself while it holds them."""
        request: dict[str, Any] = {"op": "put", "account_id": account_id, "vk": b64encode(vk), "token": token}
        if sync is not None:
            request["sync"] = sync
        answer = self._call(request)
        return bool(answer and answer.get("ok"))

    def poke(self, account_id: str) -> bool:
        """Tell the agent of a local change (it syncs within its delay); False if it does not sync."""
        answer = self._call({"op": "poke", "account_id": account_id})
        return bool(answer and answer.get("ok"))

    def sync_state(self, account_id: str) -> dict[str, Any] | None:
        """What the agent plans for the account's automatic sync; ``None`` if it does not sync it."""
        answer = self._call({"op": "sync_state", "account_id": account_id})
        state = answer.get("state") if answer and answer.get("ok") else None
        return state if isinstance(state, dict) else None

    def get(self, account_id: str) -> tuple[bytes, str | None] | None:
        answer = self._call({"op": "get", "account_id": account_id})
        if not answer or not answer.get("ok"):
            return None
        token = answer.get("token")
        return b64decode(str(answer["vk"])), (str(token) if token else None)

    def forget(self, account_id: str) -> None:
        self._call({"op": "forget", "account_id": account_id})

    def lock(self) -> bool:
        """Forget all keys and stop the agent. True if one was running."""
        return self._call({"op": "lock"}) is not None

    def read(self, request: dict[str, Any]) -> dict[str, Any] | None:
        """A read answered by the agent (client.reads); None when no agent holds the keys."""
        answer = self._call({"op": "read", **request})
        return answer if answer and answer.get("ok") else None


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(prog="safehold-agent", description="Keeps unlocked Safehold keys.")
    from pathlib import Path

    parser.add_argument("--socket", required=True, type=Path)
    parser.add_argument("--idle", type=float, default=600.0)
    args = parser.parse_args(argv)
    AgentServer(args.socket, args.idle).serve()


if __name__ == "__main__":
    main()
