"""Web pages: recovery with a recovery code (spec/protocol.md §9.2), linked from ``/reset``.

    GET  /recover           what recovery is and the email form
    POST /recover           mails a recovery link; the same answer whether or not the account exists
    GET  /recover/{token}   the code and new-password form; the keys are made by the page's
                            JavaScript (``static/js/recover-page.js``), which posts to
                            ``POST /api/v1/recover/{token}/open`` and ``POST /api/v1/recover/{token}``

Thin handlers over ``app.state.services.recovery``, with the reset pages' headers and helpers.
"""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from safehold import wire
from safehold.server.errors import TokenExpired, TokenInvalid, TokenUsed

from ._render import call as _call
from ._render import page as _page
from ._render import server_url as _server_url
from ._render import when as _when
from .reset import LINK_ERRORS, _token_minutes, ask_for_link

router = APIRouter()


@router.get("/recover", response_class=HTMLResponse)
async def recover_start(request: Request) -> HTMLResponse:
    return _page("recover_start.html", {"state": "form", "email": ""})


@router.post("/recover", response_class=HTMLResponse)
async def recover_request(request: Request) -> HTMLResponse:
    return await ask_for_link(request, "recover_start.html", request.app.state.services.recovery.request)


@router.get("/recover/{token}", response_class=HTMLResponse)
async def recover_form(request: Request, token: str) -> HTMLResponse:
    try:
        info = await _call(request.app.state.services.recovery.info, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = LINK_ERRORS[type(exc)]
        context = {"reason": reason, "minutes": _token_minutes(request)}
        return _page("recover_link_error.html", context, status_code=status)
    assert isinstance(info, wire.RecoveryInfo)
    devices = sorted(
        info.devices, key=lambda d: d.last_seen_at or datetime.min.replace(tzinfo=UTC), reverse=True
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
    return _page("recover_form.html", context)
