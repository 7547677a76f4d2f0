"""SRP sign-in and logout (spec/api.md "Sign-in")."""

from __future__ import annotations

from fastapi import APIRouter, Response

from safehold import wire

from .deps import CallerDep, ClientIpDep, ServicesDep, errors

router = APIRouter(prefix=f"{wire.API_PREFIX}/auth", tags=["auth"])


@router.post("/start", response_model=wire.AuthStartResponse, responses=errors(429))
def start(body: wire.AuthStartRequest, services: ServicesDep, ip: ClientIpDep) -> wire.AuthStartResponse:
    return services.auth.start(body, ip)


@router.post("/finish", response_model=wire.AuthFinishResponse, responses=errors(401, 429))
def finish(body: wire.AuthFinishRequest, services: ServicesDep, ip: ClientIpDep) -> wire.AuthFinishResponse:
    return services.auth.finish(body, ip)


@router.post("/logout", status_code=204, response_class=Response, responses=errors(401, 410))
def logout(caller: CallerDep, services: ServicesDep) -> Response:
    services.sessions.logout(caller.principal())
    return Response(status_code=204)
