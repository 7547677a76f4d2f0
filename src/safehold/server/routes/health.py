"""Liveness: answers without touching anything but the database connection.

A database that cannot be reached makes the server unable to do anything useful, so the
answer is 503 (a load balancer takes the instance out) with a JSON body, never a 500.
"""

from __future__ import annotations

import logging

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from safehold import wire

from .deps import ServicesDep

router = APIRouter()
log = logging.getLogger("safehold.server")


class Health(BaseModel):
    status: str


@router.get(
    "/healthz",
    response_model=Health,
    tags=["health"],
    responses={503: {"model": wire.ErrorBody, "description": "the database cannot be reached"}},
)
def healthz(services: ServicesDep) -> Health | JSONResponse:
    try:
        with services.database.read() as db:
            db.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        # The type only: a driver message may name the host, user or database.
        log.warning("health check: database unavailable (%s)", type(exc).__name__)
        body = wire.error_body(wire.ErrorCode.UNAVAILABLE, "the database cannot be reached")
        return JSONResponse({"status": "unavailable", **body}, status_code=503)
    return Health(status="ok")
