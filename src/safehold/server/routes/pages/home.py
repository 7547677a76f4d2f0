"""``GET /``: a person who opens the server's address sees what it is and where to go."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from ._render import page, server_url

router = APIRouter()


@router.get("/", response_class=HTMLResponse, include_in_schema=False)
async def home(request: Request) -> HTMLResponse:
    api_docs = getattr(request.app, "docs_url", None)
    return page("home.html", {"server_url": server_url(request), "api_docs": api_docs})
