"""ASGI middleware: the body-size limit, the access log, and a last guard that turns any
escaped exception into a JSON 500 without a traceback."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from safehold import wire

log = logging.getLogger("safehold.server.access")
#: Reset, recovery and address-confirmation links carry their token in the path; the
#: access log must not.
_TOKEN_PATH = re.compile(r"(/reset/|/recover/|/verify/)[^/?]+")


def redact_path(path: str) -> str:
    return _TOKEN_PATH.sub(r"\1…", path)


class _TooLarge(Exception):
    pass


async def _send_json(send: Send, status: int, body: dict[str, Any]) -> None:
    payload = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(payload)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": payload})


class BodyLimit:
    """Refuse bodies over ``limit`` bytes, by Content-Length or while streaming."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        too_large = wire.error_body(
            wire.ErrorCode.PAYLOAD_TOO_LARGE, f"the request body may be at most {self.limit} bytes"
        )
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = 0
                if declared > self.limit:
                    await _send_json(send, 413, too_large)
                    return
        seen = 0
        exceeded = False
        answered = False
        replaced = False

        async def limited_receive() -> Message:
            nonlocal seen, exceeded
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    exceeded = True
                    raise _TooLarge()
            return message

        async def guarded_send(message: Message) -> None:
            # The framework may catch _TooLarge itself while reading a chunked body and
            # answer 400 "could not parse"; the client must hear 413 instead.
            nonlocal answered, replaced
            if not exceeded or (answered and not replaced):
                answered = answered or message["type"] == "http.response.start"
                await send(message)
            elif message["type"] == "http.response.start" and not answered:
                answered = replaced = True
                await _send_json(send, 413, too_large)

        with contextlib.suppress(_TooLarge):
            await self.app(scope, limited_receive, guarded_send)
        if exceeded and not answered:
            await _send_json(send, 413, too_large)


class AccessLog:
    """One line per request: method, path (link tokens redacted, no query), status, time."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            log.error(
                "unhandled %s on %s %s", type(exc).__name__, scope["method"], redact_path(scope["path"])
            )
            if started:
                return
            await _send_json(
                send,
                500,
                wire.error_body(wire.ErrorCode.INTERNAL, "the server could not handle this request"),
            )
        finally:
            client = scope.get("client")
            log.info(
                "%s %s %s %d %.1fms",
                client[0] if client else "-",
                scope["method"],
                redact_path(scope["path"]),
                status,
                (time.perf_counter() - start) * 1000,
            )


class ResponseHeaders:
    """Headers every answer gets: ``Cache-Control: no-store`` on the API (its answers carry
    session tokens, keysets and envelopes, which no cache may keep), and HSTS everywhere
    when the public URL is https (so a browser never again tries plain http, where a
    man in the middle could serve other JavaScript to the reset page)."""

    HSTS = (b"strict-transport-security", b"max-age=31536000")
    NO_STORE = (b"cache-control", b"no-store")

    def __init__(self, app: ASGIApp, *, https: bool) -> None:
        self.app = app
        self.https = https

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        api = str(scope.get("path", "")).startswith(wire.API_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [h for h in message.get("headers", []) if not (api and h[0] == b"cache-control")]
                if api:
                    headers.append(self.NO_STORE)
                if self.https:
                    headers.append(self.HSTS)
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, receive, with_headers)
