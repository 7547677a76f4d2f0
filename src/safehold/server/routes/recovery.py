"""The recovery code API (spec/protocol.md §9.2, spec/api.md "Recovery code"); the HTML pages
in ``pages/recover.py`` use the same service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from safehold import wire

from ..services.recovery import RECOVERY_ACCEPTED
from .deps import CallerDep, ClientIpDep, ServicesDep, errors

router = APIRouter(prefix=wire.API_PREFIX, tags=["recovery"])
Token = Annotated[str, Path(min_length=1, max_length=200)]


@router.put("/account/recovery", response_model=wire.RecoveryCodeResponse, responses=errors(401, 410, 429))
def set_code(
    body: wire.RecoveryCodeRequest, caller: CallerDep, services: ServicesDep, ip: ClientIpDep
) -> wire.RecoveryCodeResponse:
    return services.recovery.set_code(caller.principal(), body, ip)


@router.get("/account/recovery", response_model=wire.RecoveryStatus, responses=errors(401, 410))
def code_status(caller: CallerDep, services: ServicesDep) -> wire.RecoveryStatus:
    return services.recovery.status(caller.principal())


@router.delete("/account/recovery", status_code=204, responses=errors(401, 410))
def revoke_code(caller: CallerDep, services: ServicesDep) -> Response:
    services.recovery.revoke(caller.principal())
    return Response(status_code=204)


@router.post("/recover", status_code=202, response_model=wire.AcceptedResponse, responses=errors(429))
def request_recovery(
    body: wire.RecoveryRequest, services: ServicesDep, ip: ClientIpDep
) -> wire.AcceptedResponse:
    services.recovery.request(body.email, ip)
    return wire.AcceptedResponse(message=RECOVERY_ACCEPTED)


@router.get("/recover/{token}", response_model=wire.RecoveryInfo, responses=errors(404, 410))
def recovery_info(token: Token, services: ServicesDep) -> wire.RecoveryInfo:
    return services.recovery.info(token)


@router.post(
    "/recover/{token}/open", response_model=wire.RecoveryOpenResponse, responses=errors(401, 404, 410, 429)
)
def open_code(
    token: Token, body: wire.RecoveryOpenRequest, services: ServicesDep, ip: ClientIpDep
) -> wire.RecoveryOpenResponse:
    return services.recovery.open(token, body, ip)


@router.post(
    "/recover/{token}", response_model=wire.RecoveryCompleteResponse, responses=errors(401, 404, 410, 429)
)
def complete_recovery(
    token: Token, body: wire.RecoveryCompleteRequest, services: ServicesDep, ip: ClientIpDep
) -> wire.RecoveryCompleteResponse:
    return services.recovery.complete(token, body, ip)
