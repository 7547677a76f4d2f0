"""Sign-up, the account view, password change and the hint (spec/api.md)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Response

from safehold import wire

from ..services.reset_archive import DEFAULT_PAGE, MAX_PAGE
from .deps import CallerDep, ClientIpDep, ServicesDep, errors

ArchiveId = Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")]

router = APIRouter(prefix=wire.API_PREFIX, tags=["accounts"])


@router.post(
    "/accounts",
    status_code=201,
    response_model=wire.SignupResponse,
    # verification_required only when it is true: older clients refuse unknown fields.
    response_model_exclude_none=True,
    responses=errors(403, 409, 429),
)
def signup(body: wire.SignupRequest, services: ServicesDep, ip: ClientIpDep) -> wire.SignupResponse:
    return services.accounts.signup(body, ip)


@router.get("/account", response_model=wire.AccountResponse, responses=errors(401, 410))
def account(caller: CallerDep, services: ServicesDep) -> wire.AccountResponse:
    principal = caller.principal()
    # A scheduled reset is told to every device here; one that is due is applied (410).
    pending = services.reset.pending(principal)
    answer = services.accounts.get(principal)
    return answer.model_copy(update={"pending_reset": pending}) if pending else answer


@router.delete("/account/reset", response_model=wire.PendingReset, responses=errors(401, 404, 410))
def cancel_reset(caller: CallerDep, services: ServicesDep, ip: ClientIpDep) -> wire.PendingReset:
    """Cancel the reset scheduled for this account (``SAFEHOLD_RESET_DELAY_HOURS``)."""
    return services.reset.cancel(caller.principal(), ip)


@router.get("/account/archives", response_model=wire.ServerArchivesResponse, responses=errors(401, 410))
def archives(caller: CallerDep, services: ServicesDep) -> wire.ServerArchivesResponse:
    return services.archives.list(caller.principal())


@router.get(
    "/account/archives/{archive_id}", response_model=wire.ServerArchiveKeys, responses=errors(401, 404, 410)
)
def archive_keys(archive_id: ArchiveId, caller: CallerDep, services: ServicesDep) -> wire.ServerArchiveKeys:
    return services.archives.keys(caller.principal(), archive_id)


@router.get(
    "/account/archives/{archive_id}/items",
    response_model=wire.ArchivedItemsResponse,
    responses=errors(401, 404, 410),
)
def archive_items(
    archive_id: ArchiveId,
    caller: CallerDep,
    services: ServicesDep,
    after: Annotated[str | None, Query(pattern=r"^[0-9a-f]{32}$")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_PAGE)] = DEFAULT_PAGE,
) -> wire.ArchivedItemsResponse:
    return services.archives.items(caller.principal(), archive_id, after, limit)


@router.delete(
    "/account/archives/{archive_id}",
    status_code=204,
    response_class=Response,
    responses=errors(401, 404, 410),
)
def delete_archive(archive_id: ArchiveId, caller: CallerDep, services: ServicesDep) -> Response:
    services.archives.delete(caller.principal(), archive_id)
    return Response(status_code=204)


@router.post(
    "/account/password",
    response_model=wire.PasswordChangeResponse,
    responses=errors(401, 410, 429),
)
def change_password(
    body: wire.PasswordChangeRequest, caller: CallerDep, services: ServicesDep, ip: ClientIpDep
) -> wire.PasswordChangeResponse:
    return services.auth.change_password(caller.principal(), body, ip)


@router.post(
    "/account/key",
    response_model=wire.PasswordChangeResponse,
    responses=errors(401, 410, 429),
)
def rotate_key(
    body: wire.KeyRotationRequest, caller: CallerDep, services: ServicesDep, ip: ClientIpDep
) -> wire.PasswordChangeResponse:
    return services.auth.rotate_key(caller.principal(), body, ip)


@router.post("/hint", status_code=202, response_model=wire.AcceptedResponse, responses=errors(429))
def hint(body: wire.HintRequest, services: ServicesDep, ip: ClientIpDep) -> wire.AcceptedResponse:
    return services.accounts.request_hint(body.email, ip)
