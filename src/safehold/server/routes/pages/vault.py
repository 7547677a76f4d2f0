"""``GET /vault``: the web vault (issue 13, ``docs/web-vault.md``).

The server sends a page and, through the API, ciphertext; everything is decrypted, edited
and sealed by the page's JavaScript (``static/js/vault/``). The page is the same for every
visitor: it holds no account data, and its only settings are public ones.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ._render import page, server_url

router = APIRouter()


@router.get("/vault", response_class=HTMLResponse, include_in_schema=False)
async def vault(request: Request) -> HTMLResponse:
    return page("vault.html", {"server_url": server_url(request)})
