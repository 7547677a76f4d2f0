"""Web pages, one module per page, all rendered by :mod:`._render` with its security headers.

home    GET /              what this server is
reset   GET|POST /reset, GET /reset/{token}   the account reset (issue 5)
recover GET|POST /recover, GET /recover/{token}   recovery with a recovery code (issue 14 §4)
verify  GET|POST /verify/{token}   confirming an address (SAFEHOLD_SIGNUPS=verify)
vault   GET /vault         the web vault (issue 13)
"""

from __future__ import annotations

from fastapi import APIRouter

from . import home, recover, reset, vault, verify
from ._render import CONTENT_SECURITY_POLICY, SECURITY_HEADERS, STATIC_SECURITY_HEADERS, SecureStaticFiles
from .reset import SENT_MESSAGE

router = APIRouter()
for _module in (home, reset, recover, vault, verify):
    router.include_router(_module.router)

__all__ = [
    "CONTENT_SECURITY_POLICY",
    "SECURITY_HEADERS",
    "SENT_MESSAGE",
    "STATIC_SECURITY_HEADERS",
    "SecureStaticFiles",
    "router",
]
