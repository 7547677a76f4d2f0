"""The account reset pages (issue 5, ``spec/protocol.md`` §9).

    GET  /reset           the warning and the email form
    POST /reset           starts a reset; the same answer whether or not the account exists
    GET  /reset/{token}   the new-password form; the keys are made by the page's JavaScript
                          (``static/js/reset-page.js``), which posts to the JSON endpoint
                          ``POST /api/v1/reset/{token}`` owned by the API routes

Thin handlers: the work is the reset service's (``app.state.services.reset``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, Protocol, cast

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from safehold import wire
from safehold.server.errors import RateLimited, TokenExpired, TokenInvalid, TokenUsed

from .. import deps
from ._render import call as _call
from ._render import page as _page
from ._render import server_url as _server_url
from ._render import settings_of as _settings
from ._render import when as _when

router = APIRouter()

SENT_MESSAGE = "If an account exists for that address, we have sent an email"


class ResetService(Protocol):
    """What these pages use of the reset service (``safehold.server.services``).

    The methods may be plain or ``async``; :func:`_call` handles both.
    """

    def request(self, email: str, client_ip: str) -> Any: ...

    def info(self, token: str) -> Any: ...


def _service(request: Request) -> ResetService:
    return cast(ResetService, request.app.state.services.reset)


def _token_minutes(request: Request) -> int:
    return round(float(getattr(_settings(request), "reset_token_minutes", 60.0)))


def _retry_words(seconds: float) -> str:
    minutes = int(seconds // 60) + (1 if seconds % 60 else 0)
    if seconds < 90:
        return f"{int(seconds)} seconds"
    return f"{minutes} minutes"


@router.get("/reset", response_class=HTMLResponse)
async def reset_start(request: Request) -> HTMLResponse:
    return _page("reset_start.html", {"state": "form", "email": ""})


async def ask_for_link(request: Request, template: str, send: Callable[[str, str], Any]) -> HTMLResponse:
    """The form that asks for a mailed link (a reset's here, a recovery's in recover.py):
    the address checked, ``send(email, client_ip)`` called, the same answer whether or not
    an account has that address."""
    form = await request.form()
    raw = form.get("email")
    email = raw.strip() if isinstance(raw, str) else ""
    try:
        # The API's own rule, so a NUL or a control character never reaches the database.
        wire.clean_email(email)
    except ValueError:
        email = email if email.isprintable() else ""  # shown back only if it can be
        context = {"state": "form", "email": email, "error": "Enter the email address of your account."}
        return _page(template, context, status_code=400)
    client_ip = await deps.client_ip(request)
    try:
        await _call(send, email, client_ip)
    except RateLimited as exc:
        context = {"state": "limited", "email": email, "retry": _retry_words(exc.retry_after)}
        return _page(template, context, status_code=429)
    return _page(template, {"state": "sent", "message": SENT_MESSAGE, "minutes": _token_minutes(request)})


@router.post("/reset", response_class=HTMLResponse)
async def reset_request(request: Request) -> HTMLResponse:
    return await ask_for_link(request, "reset_start.html", _service(request).request)


#: Why a mailed link cannot be used, as the link-error pages say it (recover.py too).
LINK_ERRORS: dict[type[Exception], tuple[str, int]] = {
    TokenExpired: ("expired", 410),
    TokenUsed: ("used", 410),
    TokenInvalid: ("invalid", 404),
}


@router.get("/reset/{token}", response_class=HTMLResponse)
async def reset_form(request: Request, token: str) -> HTMLResponse:
    try:
        info = await _call(_service(request).info, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = LINK_ERRORS[type(exc)]
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
