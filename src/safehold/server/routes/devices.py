"""Devices: list, revoke and rename."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Response

from safehold import wire

from .deps import CallerDep, ServicesDep, errors

router = APIRouter(prefix=f"{wire.API_PREFIX}/devices", tags=["devices"])


@router.get("", response_model=wire.DevicesResponse, responses=errors(401, 410))
def list_devices(caller: CallerDep, services: ServicesDep) -> wire.DevicesResponse:
    return services.devices.list(caller.principal())


@router.delete("/{device_id}", status_code=204, response_class=Response, responses=errors(401, 404, 410))
def revoke_device(
    device_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    caller: CallerDep,
    services: ServicesDep,
) -> Response:
    services.devices.revoke(caller.principal(), device_id)
    return Response(status_code=204)


@router.patch("/{device_id}", status_code=204, response_class=Response, responses=errors(401, 404, 410, 422))
def rename_device(
    device_id: Annotated[str, Path(pattern=r"^[0-9a-f]{32}$")],
    body: wire.DeviceRenameRequest,
    caller: CallerDep,
    services: ServicesDep,
) -> Response:
    services.devices.rename(caller.principal(), device_id, body.name)
    return Response(status_code=204)
