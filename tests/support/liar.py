"""An HTTP proxy in front of the real server that can lie, as a malicious server or a man in
the middle on plain http would (issue 14: a reset *claim* must never destroy data).

``mode``: ``None`` forwards everything; ``"410"`` answers every vault and account request
with a forged ``410 account_reset``; ``"generation"`` forwards, then raises the generation
the server reports for the account (``/account``, ``/auth/finish``) by one. ``pushes``
counts the pushes that reached the real server.

Storage attacks on the vault log (issue 10), on top of any mode: ``withhold`` (item ids left
out of ``/vault/changes``), ``garble`` (item ids whose envelope gets one character changed),
``inject`` (changes added to the last page of the next ``/vault/changes``: use
``rollback(item, revision)`` to serve a change seen earlier again, or
``plain_tombstone(item, revision)`` for a v1-style deletion with nothing sealed) and
``drop_pushes`` (answer every push "ok" without forwarding it). ``changes`` keeps every
change the real server sent, by item and revision.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class LyingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode: str | None = None
        self.pushes = 0
        self._server: ThreadingHTTPServer | None = None
        self.withhold: set[str] = set()
        self.garble: set[str] = set()
        self.inject: list[dict[str, Any]] = []
        self.drop_pushes = False
        self.changes: dict[str, dict[int, dict[str, Any]]] = {}

    def rollback(self, item_id: str, revision: int) -> None:
        self.inject.append(dict(self.changes[item_id][revision]))

    def plain_tombstone(self, item_id: str, revision: int) -> None:
        self.inject.append({"item_id": item_id, "seq": 1, "revision": revision, "deleted": True,
                            "envelope": None, "updated_at": "2026-01-02T03:04:05Z",
                            "device": None, "device_seq": None})  # fmt: skip

    def _lie_about_changes(self, real: httpx.Response) -> httpx.Response:
        data = real.json()
        out = []
        for change in data["changes"]:
            self.changes.setdefault(change["item_id"], {})[change["revision"]] = dict(change)
            if change["item_id"] in self.withhold:
                continue
            if change["item_id"] in self.garble and change.get("envelope"):
                env = change["envelope"]
                change = {**change, "envelope": env[:-2] + ("B" if env[-2] == "A" else "A") + env[-1:]}
            out.append(change)
        if not data["has_more"] and self.inject:
            out.extend(self.inject)
            self.inject = []
        return httpx.Response(200, json={**data, "changes": out})

    def _drop_push(self, headers: dict[str, str], body: bytes) -> httpx.Response:
        writes = json.loads(body)["writes"]
        generation = int({k.lower(): v for k, v in headers.items()}["safehold-generation"])
        results = [{"item_id": w["item_id"], "status": "ok", "revision": w["base_revision"] + 1, "seq": 1}
                   for w in writes]  # fmt: skip
        return httpx.Response(200, json={"generation": generation, "results": results})

    @property
    def base_url(self) -> str:
        assert self._server is not None
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def _answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> httpx.Response:
        if path.split("?")[0].endswith("/vault/push") and self.mode != "410":
            self.pushes += 1
        bare = path.split("?")[0]
        if self.mode == "410" and ("/vault/" in bare or bare.endswith("/account")):
            forged = {"error": {"code": "account_reset", "message": "account reset",
                                "reset_at": "2026-01-02T03:04:05Z", "generation": 7}}  # fmt: skip
            return httpx.Response(410, json=forged)
        if bare.endswith("/vault/push") and self.drop_pushes:
            return self._drop_push(headers, body)
        real = httpx.request(method, self.upstream + path, headers=headers, content=body, timeout=30)
        if bare.endswith("/vault/changes") and real.status_code == 200:
            return self._lie_about_changes(real)
        forge = bare.endswith("/account") or bare.endswith("/auth/finish")
        if self.mode == "generation" and forge and real.status_code == 200:
            data = real.json()
            data["generation"] = int(data["generation"]) + 1
            return httpx.Response(200, json=data)
        return real

    @contextmanager
    def running(self) -> Iterator[LyingProxy]:
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def _any(self) -> None:
                length = int(self.headers.get("content-length") or 0)
                body = self.rfile.read(length) if length else b""
                headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                answer = proxy._answer(self.command, self.path, headers, body)
                content = answer.content
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in _HOP:
                        self.send_header(key, value)
                self.send_header("content-length", str(len(content)))
                self.end_headers()
                self.wfile.write(content)

            do_GET = do_POST = do_PUT = do_DELETE = _any

            def log_message(self, format: str, *args: object) -> None:
                pass  # quiet: tests read the server's own log

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._server.shutdown()
            self._server.server_close()
            thread.join(timeout=5)


__all__ = ["LyingProxy"]
