"""Web pages: confirming an account's address when sign-ups are ``SAFEHOLD_SIGNUPS=verify``.

    GET  /verify/{token}   the address and a button
    POST /verify/{token}   confirms it

A button, not a confirmation on GET: mail scanners open links, and a link opened by a scanner
must not confirm an address for whoever signed it up.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from safehold.server.errors import TokenExpired, TokenInvalid, TokenUsed

from ._render import call as _call
from ._render import page as _page
from .reset import LINK_ERRORS

router = APIRouter()


@router.get("/verify/{token}", response_class=HTMLResponse)
async def verify_form(request: Request, token: str) -> HTMLResponse:
    accounts = request.app.state.services.accounts
    try:
        email = await _call(accounts.verification_email, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = LINK_ERRORS[type(exc)]
        return _page("verify.html", {"state": "error", "reason": reason}, status_code=status)
    return _page("verify.html", {"state": "form", "email": email})


@router.post("/verify/{token}", response_class=HTMLResponse)
async def verify_confirm(request: Request, token: str) -> HTMLResponse:
    accounts = request.app.state.services.accounts
    try:
        email = await _call(accounts.confirm_email, token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = LINK_ERRORS[type(exc)]
        return _page("verify.html", {"state": "error", "reason": reason}, status_code=status)
    return _page("verify.html", {"state": "done", "email": email})
