"""Web pages: the account reset flow (issue 5, ``spec/protocol.md`` §9).

    GET  /reset           the warning and the email form
    POST /reset           starts a reset; the same answer whether or not the account exists
    GET  /reset/{token}   the new-password form; the keys are made by the page's JavaScript
                          (``static/js/reset-page.js``), which posts to the JSON endpoint
                          ``POST /api/v1/reset/{token}`` owned by the API routes

Thin handlers: the work is the reset service's (``app.state.services.reset``). Every page
carries a strict Content-Security-Policy: scripts only from this server, no inline script
or style, WebAssembly allowed for Argon2id, nothing from any other host.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from jinja2 import Environment, FileSystemLoader, select_autoescape
from starlette.concurrency import run_in_threadpool
from starlette.responses import Response
from starlette.types import Scope

from safehold import wire
from safehold.server.errors import RateLimited, TokenExpired, TokenInvalid, TokenUsed

from . import deps

router = APIRouter()

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

#: Sent with every page (issue 5). 'wasm-unsafe-eval' lets hash-wasm compile its Argon2id
#: WebAssembly; it allows no JavaScript eval.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self'; "
    "img-src 'self' data: blob:; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    # The reset token is in the page's URL: never hand it on as a Referer.
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


SENT_MESSAGE = "If an account exists for that address, we have sent an email"

_env = Environment(
    loader=FileSystemLoader(TEMPLATES),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


class ResetService(Protocol):
    """What these pages use of the reset service (``safehold.server.services``).

    The methods may be plain or ``async``; :func:`_call` handles both.
    """

    def request(self, email: str, client_ip: str) -> Any: ...

    def info(self, token: str) -> Any: ...


async def _call(func: Any, *args: Any) -> Any:
    """Await a coroutine function; run a blocking one in the thread pool."""
    if inspect.iscoroutinefunction(func):
        return await func(*args)
    result = await run_in_threadpool(func, *args)
    if inspect.isawaitable(result):
        return await result
    return result


def _service(request: Request) -> ResetService:
    return cast(ResetService, request.app.state.services.reset)


def _settings(request: Request) -> Any:
    """The server's settings, wherever the app keeps them (``None`` if nowhere)."""
    state = request.app.state
    settings = getattr(state, "settings", None)
    return settings if settings is not None else getattr(getattr(state, "services", None), "settings", None)


def _server_url(request: Request) -> str:
    """The URL printed in the Emergency Kit: the configured base URL when there is one."""
    base = getattr(_settings(request), "base_url", None)
    return str(base).rstrip("/") if base else str(request.base_url).rstrip("/")


def _token_minutes(request: Request) -> int:
    return round(float(getattr(_settings(request), "reset_token_minutes", 60.0)))


def _page(name: str, context: Mapping[str, Any], status_code: int = 200) -> HTMLResponse:
    html = _env.get_template(f"pages/{name}").render(**context)
    return HTMLResponse(html, status_code=status_code, headers=SECURITY_HEADERS)


def _when(moment: datetime | None) -> str:
    if moment is None:
        return "never"
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _retry_words(seconds: float) -> str:
    minutes = int(seconds // 60) + (1 if seconds % 60 else 0)
    if seconds < 90:
        return f"{int(seconds)} seconds"
    return f"{minutes} minutes"


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> HTMLResponse:
    """A person who opens the server's address sees what it is and where to go, not JSON."""
    api_docs = getattr(request.app, "docs_url", None)
    return _page("home.html", {"server_url": _server_url(request), "api_docs": api_docs})


@router.get("/reset", response_class=HTMLResponse)
async def reset_start(request: Request) -> HTMLResponse:
    return _page("reset_start.html", {"state": "form", "email": ""})


@router.post("/reset", response_class=HTMLResponse)
async def reset_request(request: Request) -> HTMLResponse:
    form = await request.form()
    raw = form.get("email")
    email = raw.strip() if isinstance(raw, str) else ""
    try:
        # The API's own rule, so a NUL or a control character never reaches the database.
        wire.clean_email(email)
    except ValueError:
        email = email if email.isprintable() else ""  # shown back only if it can be
        context = {"state": "form", "email": email, "error": "Enter the email address of your account."}
        return _page("reset_start.html", context, status_code=400)
    client_ip = await deps.client_ip(request)
    try:
        await _call(_service(request).request, email, client_ip)
    except RateLimited as exc:
        context = {"state": "limited", "email": email, "retry": _retry_words(exc.retry_after)}
        return _page("reset_start.html", context, status_code=429)
    return _page(
        "reset_start.html",
        {"state": "sent", "message": SENT_MESSAGE, "minutes": _token_minutes(request)},
    )


_LINK_ERRORS: dict[type[Exception], tuple[str, int]] = {
    TokenExpired: ("expired", 410),
    TokenUsed: ("used", 410),
    TokenInvalid: ("invalid", 404),
}


@router.get("/reset/{token}", response_class=HTMLResponse)
async def reset_form(request: Request, token: str) -> HTMLResponse:
    try:
        info = await _call(_service(request).info, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = _LINK_ERRORS[type(exc)]
        return _page(
            "reset_link_error.html",
            {"reason": reason, "minutes": _token_minutes(request)},
            status_code=status,
        )
    if not isinstance(info, wire.ResetInfo):
        info = wire.ResetInfo.model_validate(info)
    devices = sorted(
        info.devices,
        key=lambda d: d.last_seen_at or datetime.min.replace(tzinfo=UTC),
        reverse=True,
    )
    context = {
        "info": info,
        "devices": [
            {"name": d.name, "last_seen": _when(d.last_seen_at), "added": _when(d.created_at)}
            for d in devices
        ],
        "expires": _when(info.expires_at),
        "server_url": _server_url(request),
    }
    return _page("reset_form.html", context)


# --- confirming an address (SAFEHOLD_SIGNUPS=verify) -------------------------------------


@router.get("/verify/{token}", response_class=HTMLResponse)
async def verify_form(request: Request, token: str) -> HTMLResponse:
    """A button, not a confirmation: mail scanners open links, and a link opened by a
    scanner must not hand an address to whoever signed it up."""
    accounts = request.app.state.services.accounts
    try:
        email = await _call(accounts.verification_email, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = _LINK_ERRORS[type(exc)]
        return _page("verify.html", {"state": "error", "reason": reason}, status_code=status)
    return _page("verify.html", {"state": "form", "email": email})


@router.post("/verify/{token}", response_class=HTMLResponse)
async def verify_confirm(request: Request, token: str) -> HTMLResponse:
    accounts = request.app.state.services.accounts
    try:
        email = await _call(accounts.confirm_email, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = _LINK_ERRORS[type(exc)]
        return _page("verify.html", {"state": "error", "reason": reason}, status_code=status)
    return _page("verify.html", {"state": "done", "email": email})
