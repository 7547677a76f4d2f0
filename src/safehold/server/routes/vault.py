"""Delta sync and push; every route checks the ``Safehold-Generation`` header."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Response

from safehold import wire

from ..services.vault import DEFAULT_LIMIT, MAX_LIMIT
from .deps import ServicesDep, VaultPrincipalDep, errors

router = APIRouter(prefix=f"{wire.API_PREFIX}/vault", tags=["vault"])


@router.get("/changes", response_model=wire.ChangesResponse, responses=errors(401, 410))
def changes(
    principal: VaultPrincipalDep,
    services: ServicesDep,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    # The service hands back finished JSON: FastAPI would otherwise validate and encode
    # up to 1,000 models per page. ``response_model`` still documents the shape.
    return Response(content=services.vault.changes(principal, since, limit), media_type="application/json")


@router.post("/push", response_model=wire.PushResponse, responses=errors(401, 410))
def push(body: wire.PushRequest, principal: VaultPrincipalDep, services: ServicesDep) -> wire.PushResponse:
    return services.vault.push(principal, body)
