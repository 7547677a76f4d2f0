"""Web pages (account reset). Owned by the reset work; the app includes ``router``."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter()
