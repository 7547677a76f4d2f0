"""The one renderer every page goes through, and the security headers it sends.

Every page carries a strict Content-Security-Policy: scripts only from this server, no
inline script or style, no ``eval``; WebAssembly is allowed ('wasm-unsafe-eval') because
hash-wasm compiles its Argon2id, and that allows no JavaScript eval. Nothing is fetched
from any other host.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # A reset token is in its page's URL: never hand it on as a Referer.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    # No window this page opens (or that opened it) keeps a handle on it.
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: Sent with every file under /static. A worker script (derive-worker.js) runs under the
#: policy of its own response, not the page's, so the scripts need one too; nosniff stops
#: a browser from running anything served with a non-script type.
STATIC_SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Resource-Policy": "same-origin",
}


class SecureStaticFiles(StaticFiles):
    """``StaticFiles`` that adds :data:`STATIC_SECURITY_HEADERS` to every file it serves
    (200, 304); mounted at /static by ``app.py``."""

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        response.headers.update(STATIC_SECURITY_HEADERS)
        return response


_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def page(name: str, context: Mapping[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render ``templates/pages/<name>`` with the security headers."""
    html = _env.get_template(f"pages/{name}").render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


async def call(func: Any, *args: Any) -> Any:
    """Await a coroutine function; run a blocking one in the thread pool."""
    if inspect.iscoroutinefunction(func):
        return await func(*args)
    result = await run_in_threadpool(func, *args)
    if inspect.isawaitable(result):
        return await result
    return result


def settings_of(request: Request) -> Any:
    """The server's settings, wherever the app keeps them (``None`` if nowhere)."""
    state = request.app.state
    settings = getattr(state, "settings", None)
    return settings if settings is not None else getattr(getattr(state, "services", None), "settings", None)


def server_url(request: Request) -> str:
    """The URL printed in the Emergency Kit: the configured base URL when there is one."""
    base = getattr(settings_of(request), "base_url", None)
    return str(base).rstrip("/") if base else str(request.base_url).rstrip("/")


def when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
