"""The account reset API (issue 5); the HTML pages in ``pages.py`` use the same service."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Header, Path

from safehold import wire

from ..errors import AccountReset, TokenUsed
from ..services.reset import RESET_ACCEPTED
from .deps import ClientIpDep, ServicesDep, errors

router = APIRouter(prefix=f"{wire.API_PREFIX}/reset", tags=["reset"])
Token = Annotated[str, Path(min_length=1, max_length=200)]


@router.post("", status_code=202, response_model=wire.AcceptedResponse, responses=errors(429))
def request_reset(body: wire.ResetRequest, services: ServicesDep, ip: ClientIpDep) -> wire.AcceptedResponse:
    services.reset.request(body.email, ip)
    return wire.AcceptedResponse(message=RESET_ACCEPTED)


@router.get("/{token}", response_model=wire.ResetInfo, responses=errors(404, 410))
def reset_info(token: Token, services: ServicesDep) -> wire.ResetInfo:
    return services.reset.info(token)


@router.post("/{token}", response_model=wire.ResetCompleteResponse, responses=errors(404, 410))
def complete_reset(
    token: Token,
    body: wire.ResetCompleteRequest,
    services: ServicesDep,
    ip: ClientIpDep,
    generation: Annotated[int | None, Header(alias=wire.GENERATION_HEADER, ge=0, le=2**31 - 1)] = None,
) -> wire.ResetCompleteResponse:
    if generation is not None:
        # A page that was opened before another reset finished must not reset again.
        try:
            info = services.reset.info(token)
        except TokenUsed:
            # complete() decides: the same keys again are the answer this page never got;
            # anything else is "link already used".
            pass
        else:
            if generation < info.next_generation - 1:
                raise AccountReset(reset_at=None, generation=info.next_generation - 1)
    return services.reset.complete(token, body, ip)
