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


async def _answer(request: Request, token: str, step: str, state: str) -> HTMLResponse:
    """The verify page after ``step`` (``verification_email``: show the form; ``confirm_email``:
    confirm), or the link's error in its own words."""
    accounts = request.app.state.services.accounts
    try:
        email = await _call(getattr(accounts, step), token)
    except (TokenExpired, TokenUsed, TokenInvalid) as exc:
        reason, status = LINK_ERRORS[type(exc)]
        return _page("verify.html", {"state": "error", "reason": reason}, status_code=status)
    return _page("verify.html", {"state": state, "email": email})


@router.get("/verify/{token}", response_class=HTMLResponse)
async def verify_form(request: Request, token: str) -> HTMLResponse:
    return await _answer(request, token, "verification_email", "form")


@router.post("/verify/{token}", response_class=HTMLResponse)
async def verify_confirm(request: Request, token: str) -> HTMLResponse:
    return await _answer(request, token, "confirm_email", "done")
