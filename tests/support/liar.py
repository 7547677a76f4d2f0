"""An HTTP proxy in front of the real server that can lie, as a malicious server or a man in
the middle on plain http would (issue 14: a reset *claim* must never destroy data).

``mode``: ``None`` forwards everything; ``"410"`` answers every vault and account request
with a forged ``410 account_reset``; ``"generation"`` forwards, then raises the generation
the server reports for the account (``/account``, ``/auth/finish``) by one. ``pushes``
counts the pushes that reached the real server.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx

_HOP = {"connection", "keep-alive", "transfer-encoding", "content-length", "content-encoding", "host"}


class LyingProxy:
    def __init__(self, upstream: str) -> None:
        self.upstream = upstream.rstrip("/")
        self.mode: str | None = None
        self.pushes = 0
        self._server: ThreadingHTTPServer | None = None

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
        real = httpx.request(method, self.upstream + path, headers=headers, content=body, timeout=30)
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
