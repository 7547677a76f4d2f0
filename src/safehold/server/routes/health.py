"""Liveness: answers without touching anything but the database connection."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import text

from .deps import ServicesDep

router = APIRouter()


class Health(BaseModel):
    status: str


@router.get("/healthz", response_model=Health, tags=["health"])
def healthz(services: ServicesDep) -> Health:
    with services.database.read() as db:
        db.execute(text("SELECT 1"))
    return Health(status="ok")
