"""Sign-up, the account view, password change and the hint (spec/api.md)."""

from __future__ import annotations

from fastapi import APIRouter

from safehold import wire

from .deps import CallerDep, ClientIpDep, ServicesDep, errors

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
    return services.accounts.get(caller.principal())


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
