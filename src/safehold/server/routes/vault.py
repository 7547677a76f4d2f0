"""Delta sync, batch push and single-item access; every route checks the
``Safehold-Generation`` header."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Response

from safehold import wire

from ..handlers import error_response
from ..services.vault import DEFAULT_LIMIT, MAX_LIMIT
from .deps import ServicesDep, VaultCallerDep, errors

router = APIRouter(prefix=f"{wire.API_PREFIX}/vault", tags=["vault"])

ItemId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$", description="The item's id (32 hex digits)")]

CONFLICT_RESPONSE: dict[int | str, dict[str, Any]] = {
    409: {
        "model": wire.ConflictBody,
        "description": "the item moved on since base_revision; `current` is its state now, nothing changed",
    }
}


@router.get("/changes", response_model=wire.ChangesResponse, responses=errors(401, 410))
def changes(
    caller: VaultCallerDep,
    services: ServicesDep,
    since: Annotated[int, Query(ge=0, le=2**62)] = 0,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = DEFAULT_LIMIT,
) -> Response:
    # The service hands back finished JSON: FastAPI would otherwise validate and encode
    # up to 1,000 models per page. ``response_model`` still documents the shape.
    body = services.vault.changes(caller.principal(), since, limit)
    return Response(content=body, media_type="application/json")


@router.post("/push", response_model=wire.PushResponse, responses=errors(401, 410))
def push(body: wire.PushRequest, caller: VaultCallerDep, services: ServicesDep) -> wire.PushResponse:
    return services.vault.push(caller.principal(), body)


@router.get("/items/{item_id}", response_model=wire.Change, responses=errors(401, 404, 410))
def get_item(item_id: ItemId, caller: VaultCallerDep, services: ServicesDep) -> wire.Change:
    return services.vault.item(caller.principal(), item_id)


@router.put(
    "/items/{item_id}",
    response_model=wire.WriteResult,
    responses={**errors(401, 404, 410), **CONFLICT_RESPONSE},
)
def put_item(
    item_id: ItemId, body: wire.ItemWriteRequest, caller: VaultCallerDep, services: ServicesDep
) -> Any:
    result = services.vault.put_item(caller.principal(), item_id, body)
    if result.status is wire.WriteStatus.CONFLICT and result.current is not None:
        current = result.current
        return error_response(
            409,
            wire.ErrorCode.CONFLICT,
            f"the item is at revision {current.revision}, not {body.base_revision}; nothing was changed",
            current=current.model_dump(mode="json"),
        )
    return result
