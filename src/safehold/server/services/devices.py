"""Devices: one record per signed-in device, listed with last-seen and revocable.

A device row is reused while it is active; after a logout, a revocation or a reset, the
next sign-in of that ``device_id`` makes a new row.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session as DbSession

from safehold import wire

from ..db.models import Device, Session, utcnow
from ..db.session import Database
from ..errors import NotFound
from .sessions import REASON_DEVICE_REVOKED, REASON_EXPIRED, Lifetimes, Principal, public_reason

REASON_REVOKED = "revoked"


def device_model(
    device: Device, *, current_pk: int | None = None, signed_out: dict[int, str | None] | None = None
) -> wire.Device:
    """``signed_out`` is :func:`signed_out_reasons` of the listed devices."""
    out = signed_out or {}
    return wire.Device(
        device_id=device.device_id,
        name=device.name,
        created_at=device.created_at,
        last_seen_at=device.last_seen_at,
        current=device.id == current_pk,
        signed_out=device.id in out,
        signed_out_reason=out.get(device.id),
    )


def signed_out_reasons(
    db: DbSession, devices: Sequence[Device], lifetimes: Lifetimes | None = None
) -> dict[int, str | None]:
    """Of active device rows, those with no open session, and why their last one ended.

    A password change ends the other devices' sessions but keeps their rows (signing in
    again with the new password is not a new device), so the list must say so itself.
    With ``lifetimes``, a session past them counts as ended (``expired``) although no
    request has found that out yet: a browser tab killed without signing out is shown as
    signed out once its session's hour is up.
    """
    pks = [device.id for device in devices]
    if not pks:
        return {}
    seen = {device.id: device.last_seen_at for device in devices}
    now = utcnow()
    still_open: set[int] = set()
    expired: set[int] = set()
    for pk, created_at, idle_seconds in db.execute(
        select(Session.device_pk, Session.created_at, Session.idle_seconds).where(
            Session.device_pk.in_(pks), Session.revoked_at.is_(None)
        )
    ):
        if lifetimes is not None and lifetimes.expired(created_at, seen[pk], idle_seconds, now):
            expired.add(pk)
        else:
            still_open.add(pk)
    closed = [pk for pk in pks if pk not in still_open]
    if not closed:
        return {}
    latest = select(func.max(Session.id)).where(Session.device_pk.in_(closed)).group_by(Session.device_pk)
    rows = db.execute(select(Session.device_pk, Session.revoked_reason).where(Session.id.in_(latest)))
    out = {pk: public_reason(reason) for pk, reason in rows}
    for pk in expired - still_open:
        out[pk] = REASON_EXPIRED
    return out


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
    def __init__(self, database: Database, lifetimes: Lifetimes | None = None) -> None:
        self.database = database
        self.lifetimes = lifetimes or Lifetimes()

    def list(self, principal: Principal) -> wire.DevicesResponse:
        with self.database.read() as db:
            devices = active_devices(db, principal.account_id)
            out = signed_out_reasons(db, devices, self.lifetimes)
            return wire.DevicesResponse(
                devices=[device_model(d, current_pk=principal.device_pk, signed_out=out) for d in devices]
            )

    def rename(self, principal: Principal, device_id: str, name: str) -> None:
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
                device.name = name

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
