"""Devices: one record per signed-in device, listed with last-seen and revocable.

A device row is reused while it is active; after a logout, a revocation or a reset, the
next sign-in of that ``device_id`` makes a new row.
"""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from safehold import wire

from ..db.models import Device, Session, utcnow
from ..db.session import Database
from ..errors import NotFound
from .sessions import REASON_DEVICE_REVOKED, Principal

REASON_REVOKED = "revoked"


def device_model(device: Device, *, current_pk: int | None = None) -> wire.Device:
    return wire.Device(
        device_id=device.device_id,
        name=device.name,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        current=device.id == current_pk,
    )


def active_devices(db: DbSession, account_id: str) -> list[Device]:
    return list(
        db.scalars(
            select(Device)
            .where(Device.account_id == account_id, Device.revoked_at.is_(None))
            .order_by(Device.created_at, Device.id)
        )
    )


def attach_device(db: DbSession, account_id: str, device_id: str, name: str) -> tuple[Device, bool]:
    """The active row for this device (renamed and touched), or a new one.

    Returns ``(device, first_time)``; ``first_time`` is false when the device was already
    signed in, or last left by logging out (a plain logout is not a new device).
    """
    now = utcnow()
    rows = list(
        db.scalars(
            select(Device)
            .where(Device.account_id == account_id, Device.device_id == device_id)
            .order_by(Device.id.desc())
        )
    )
    for row in rows:
        if row.revoked_at is None:
            row.name = name
            row.last_seen_at = now
            return row, False
    known = bool(rows) and rows[0].revoked_reason == "logout"
    device = Device(account_id=account_id, device_id=device_id, name=name, created_at=now, last_seen_at=now)
    db.add(device)
    db.flush()
    return device, not known


class DeviceService:
    def __init__(self, database: Database) -> None:
        self.database = database

    def list(self, principal: Principal) -> wire.DevicesResponse:
        with self.database.read() as db:
            devices = active_devices(db, principal.account_id)
            return wire.DevicesResponse(
                devices=[device_model(d, current_pk=principal.device_pk) for d in devices]
            )

    def revoke(self, principal: Principal, device_id: str) -> None:
        now = utcnow()
        with self.database.write() as db:
            rows = list(
                db.scalars(
                    select(Device).where(
                        Device.account_id == principal.account_id,
                        Device.device_id == device_id,
                        Device.revoked_at.is_(None),
                    )
                )
            )
            if not rows:
                raise NotFound("no such device on this account")
            for device in rows:
                device.revoked_at = now
                device.revoked_reason = REASON_REVOKED
                db.execute(
                    update(Session)
                    .where(Session.device_pk == device.id, Session.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=REASON_DEVICE_REVOKED)
                )
