"""What the admin commands read and change. Never a secret: no verifier, salt, keyset,
envelope or token is part of any answer here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select

from safehold import wire

from ..db.models import Account, Invite, ResetArchive, ScheduledReset, utcnow
from ..db.session import Database
from ..errors import NotFound
from .accounts import clean_email, license_of
from .devices import active_devices, device_model, signed_out_reasons
from .reset_archive import archive_model


@dataclass(frozen=True, slots=True)
class AccountSummary:
    account_id: str
    email: str
    created_at: datetime
    plan: str
    license_status: str
    license_expires: datetime | None
    generation: int
    reset_at: datetime | None
    item_count: int
    devices: list[wire.Device]
    #: The old generations kept sealed after resets: dates and counts, never contents.
    archives: list[wire.ServerArchive]
    pending_reset: wire.PendingReset | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "account_id": self.account_id,
            "email": self.email,
            "created_at": self.created_at.isoformat(),
            "plan": self.plan,
            "license_status": self.license_status,
            "license_expires": self.license_expires.isoformat() if self.license_expires else None,
            "generation": self.generation,
            "reset_at": self.reset_at.isoformat() if self.reset_at else None,
            "item_count": self.item_count,
            "devices": [d.model_dump(mode="json", exclude={"current"}) for d in self.devices],
            "archives": [a.model_dump(mode="json") for a in self.archives],
            "pending_reset": self.pending_reset.model_dump(mode="json") if self.pending_reset else None,
        }


def _pending(row: ScheduledReset | None) -> wire.PendingReset | None:
    if row is None:
        return None
    return wire.PendingReset(
        requested_at=row.requested_at, requested_from=row.requested_from, effective_at=row.effective_at
    )


class AdminService:
    def __init__(self, database: Database) -> None:
        self.database = database

    @staticmethod
    def _summary(db: Any, account: Account) -> AccountSummary:
        licence = license_of(account)
        devices = active_devices(db, account.account_id)
        signed_out = signed_out_reasons(db, devices)
        return AccountSummary(
            account_id=account.account_id,
            email=account.email,
            created_at=account.created_at,
            plan=licence.plan.value,
            license_status=licence.status.value,
            license_expires=licence.expires,
            generation=account.generation,
            reset_at=account.reset_at,
            item_count=account.item_count,
            devices=[device_model(d, signed_out=signed_out) for d in devices],
            archives=[
                archive_model(row)
                for row in db.scalars(
                    select(ResetArchive)
                    .where(ResetArchive.account_id == account.account_id)
                    .order_by(ResetArchive.created_at.desc())
                )
            ],
            pending_reset=_pending(db.get(ScheduledReset, account.account_id)),
        )

    def list_accounts(self) -> list[AccountSummary]:
        with self.database.read() as db:
            accounts = db.scalars(select(Account).order_by(Account.created_at, Account.email))
            return [self._summary(db, account) for account in accounts]

    def show(self, email: str) -> AccountSummary:
        with self.database.read() as db:
            account = db.scalar(select(Account).where(Account.email == clean_email(email)))
            if account is None:
                raise NotFound(f"no account for {email}")
            return self._summary(db, account)

    def set_license(self, email: str, plan: wire.Plan, expires: datetime | None) -> AccountSummary:
        with self.database.write() as db:
            account = db.scalar(select(Account).where(Account.email == clean_email(email)).with_for_update())
            if account is None:
                raise NotFound(f"no account for {email}")
            account.plan = plan.value
            account.license_expires = expires
            db.flush()
            return self._summary(db, account)

    def invite(self, email: str) -> tuple[str, bool]:
        """Let ``email`` sign up under ``SAFEHOLD_SIGNUPS=closed``; (the address, whether it
        already has an account). Inviting again renews an unused or used invitation."""
        address = clean_email(email)
        with self.database.write() as db:
            existing = db.get(Invite, address, with_for_update=True)
            if existing is None:
                db.add(Invite(email=address, created_at=utcnow()))
            else:
                existing.created_at, existing.used_at = utcnow(), None
            has_account = db.scalar(select(Account.account_id).where(Account.email == address)) is not None
        return address, has_account
