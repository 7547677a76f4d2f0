"""What route handlers share: the services, the caller's session and address, and the
error responses each route may document."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, Header, Request

from safehold import wire

from ..client_address import client_address
from ..errors import InvalidRequest
from ..services import Services
from ..services.sessions import Principal

GENERATION_MAX = 2**31 - 1

# The dependencies that do no I/O are ``async``: FastAPI runs a plain ``def`` dependency
# in the thread pool, a hop that costs more than the work itself on every request.


async def get_services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def client_ip(request: Request) -> str:
    """The caller's address; ``X-Forwarded-For`` only from a listed proxy (client_address)."""
    services: Services = request.app.state.services
    return client_address(
        request.client.host if request.client else None,
        request.headers.getlist("x-forwarded-for"),
        services.proxies,
    )


async def bearer_token(
    authorization: Annotated[str | None, Header(description="Bearer <session token>")] = None,
) -> str | None:
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != wire.AUTH_SCHEME.lower() or not token.strip():
        return None
    return token.strip()


@dataclass(frozen=True, slots=True)
class Caller:
    """The credentials a request carries, checked only when the route asks.

    Authenticating reads the database. Done in a plain ``def`` dependency it would take
    a thread-pool hop of its own before the route's; instead the (sync) route calls
    :meth:`principal` first thing, in the thread it already runs in."""

    services: Services
    token: str | None
    generation: int | None = None

    def principal(self) -> Principal:
        """The session's principal; with a generation, also checked against the account's."""
        principal = self.services.sessions.authenticate(self.token)
        if self.generation is not None:
            principal.check_generation(self.generation)
        return principal


async def caller(
    services: Annotated[Services, Depends(get_services)],
    token: Annotated[str | None, Depends(bearer_token)],
) -> Caller:
    return Caller(services, token)


async def vault_caller(
    services: Annotated[Services, Depends(get_services)],
    token: Annotated[str | None, Depends(bearer_token)],
    generation: Annotated[
        str,
        # One spelling per value (spec §1): "1.0", " 1", "+1" or "00001" is a client bug,
        # not generation 1.
        Header(
            alias=wire.GENERATION_HEADER,
            pattern=r"^(0|[1-9][0-9]{0,9})$",
            description="The account generation the client knows (decimal digits)",
        ),
    ],
) -> Caller:
    claimed = int(generation)
    if claimed > GENERATION_MAX:
        raise InvalidRequest(f"at most {GENERATION_MAX}", field=wire.GENERATION_HEADER)
    return Caller(services, token, claimed)


ServicesDep = Annotated[Services, Depends(get_services)]
CallerDep = Annotated[Caller, Depends(caller)]
VaultCallerDep = Annotated[Caller, Depends(vault_caller)]
ClientIpDep = Annotated[str, Depends(client_ip)]


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI entries for the error answers a route can give (all share ``ErrorBody``)."""
    every = (400, 413, 422, *statuses)
    return {status: {"model": wire.ErrorBody, "description": "error"} for status in sorted(set(every))}
