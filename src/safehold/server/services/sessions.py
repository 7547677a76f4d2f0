"""Sessions: bearer tokens bound to a device record. The token is 32 random bytes; the
database holds only its SHA-256, so a copy of the database signs nobody in.

A session has two lifetimes (settings): *idle*, since its device was last seen (every
authenticated request counts, so a device in use never hits it), and *absolute*, since it
was created. Past either it is answered 401 ``session_revoked`` with ``reason: "expired"``;
the client signs in again with the password, by itself when it has it."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session as DbSession

from safehold.crypto import b64encode

from ..db.models import Account, Device, Session, utcnow
from ..db.session import Database
from ..errors import AccountReset, EmailUnverified, InvalidRequest, SessionRevoked, Unauthenticated

#: Writing last-seen on every request would turn every read into a write.
LAST_SEEN_RESOLUTION = timedelta(seconds=60)

REASON_LOGOUT = "logout"
REASON_DEVICE_REVOKED = "device_revoked"
REASON_PASSWORD_CHANGED = "password_changed"
REASON_KEY_ROTATED = "key_rotated"
#: The account was recovered with its recovery code: new password and new account key.
REASON_RECOVERED = "recovered"
#: What rows written before the reason was renamed say.
_LEGACY_PASSWORD_CHANGE = "password_change"
REASON_RESET = "reset"
REASON_EXPIRED = "expired"

PASSWORD_CHANGED_MESSAGE = (
    "the account password was changed on another device; sign in again with the new password"
)


def public_reason(reason: str | None) -> str | None:
    """The reason as the API names it (older rows say ``password_change``)."""
    return REASON_PASSWORD_CHANGED if reason == _LEGACY_PASSWORD_CHANGE else reason


def revoked_error(reason: str | None, account_hint: str | None = None) -> SessionRevoked:
    """The 401 a revoked session gets: the words and ``reason`` say what happened.

    After a password change the device's old session also learns the account's hint as it
    is now (set with the new password), so it can show the right one at its password prompt:
    the holder of that session was signed in to this account and saw the old hint already."""
    if reason in {REASON_PASSWORD_CHANGED, _LEGACY_PASSWORD_CHANGE}:
        return SessionRevoked(
            PASSWORD_CHANGED_MESSAGE, reason=REASON_PASSWORD_CHANGED, account_hint=account_hint
        )
    if reason == REASON_KEY_ROTATED:
        return SessionRevoked(
            "the account key was replaced on another device; sign in with the new account key",
            reason=REASON_KEY_ROTATED,
        )
    if reason == REASON_RECOVERED:
        return SessionRevoked(
            "the account was recovered with its recovery code; sign in with the new password "
            "and the new account key",
            reason=REASON_RECOVERED,
        )
    if reason == REASON_LOGOUT:
        return SessionRevoked("this session was signed out; sign in again", reason=REASON_LOGOUT)
    if reason == REASON_EXPIRED:
        return SessionRevoked(
            "this session expired (unused too long, or too old); sign in again", reason=REASON_EXPIRED
        )
    return SessionRevoked(reason=REASON_DEVICE_REVOKED)


def new_token() -> str:
    return b64encode(secrets.token_bytes(32))


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class Principal:
    """Who is calling: the outcome of a valid session token."""

    account_id: str
    session_pk: int
    device_pk: int
    device_id: str
    generation: int
    reset_at: datetime | None

    def check_generation(self, claimed: int) -> None:
        """The ``Safehold-Generation`` a client sent against the account's."""
        if claimed < self.generation:
            raise AccountReset(reset_at=self.reset_at, generation=self.generation)
        if claimed > self.generation:
            raise InvalidRequest(
                f"generation {claimed} is ahead of the account's ({self.generation})",
                field="Safehold-Generation",
            )


def open_session(db: DbSession, account_id: str, device: Device, *, idle_seconds: int | None = None) -> str:
    """Create a session for ``device`` inside the caller's transaction; return the token.
    ``idle_seconds``: its own idle lifetime, when the client asked for one shorter than the
    server's (the caller caps it)."""
    token = new_token()
    db.add(
        Session(
            token_hash=hash_token(token),
            account_id=account_id,
            device_pk=device.id,
            created_at=utcnow(),
            idle_seconds=idle_seconds,
        )
    )
    return token


@dataclass(frozen=True)
class Lifetimes:
    """The server's session lifetimes (settings): *idle* since the device was last seen
    (a session may have asked for a shorter one), *absolute* since it was created."""

    idle: timedelta = timedelta(days=30)
    absolute: timedelta = timedelta(days=90)

    def expired(
        self, created_at: datetime, last_seen_at: datetime | None, idle_seconds: int | None, now: datetime
    ) -> bool:
        last = max(created_at, last_seen_at) if last_seen_at is not None else created_at
        idle = self.idle if idle_seconds is None else min(self.idle, timedelta(seconds=idle_seconds))
        return now - created_at > self.absolute or now - last > idle


class SessionService:
    def __init__(self, database: Database, lifetimes: Lifetimes | None = None) -> None:
        self.database = database
        self.lifetimes = lifetimes or Lifetimes()

    def authenticate(self, token: str | None) -> Principal:
        if not token:
            raise Unauthenticated()
        with self.database.read() as db:
            # Columns rather than ORM objects: this runs before every authenticated request.
            row = db.execute(
                select(
                    Session.id,
                    Session.account_id,
                    Session.revoked_at,
                    Session.revoked_reason,
                    Session.created_at,
                    Session.idle_seconds,
                    Device.id,
                    Device.device_id,
                    Device.last_seen_at,
                    Account.generation,
                    Account.reset_at,
                    Account.hint,
                    Account.unverified_since,
                )
                .join(Device, Device.id == Session.device_pk)
                .join(Account, Account.account_id == Session.account_id)
                .where(Session.token_hash == hash_token(token))
            ).one_or_none()
        if row is None:
            raise Unauthenticated()
        (
            session_pk,
            account_id,
            revoked_at,
            revoked_reason,
            created_at,
            idle_seconds,
            device_pk,
            device_id,
            last_seen_at,
            generation,
            reset_at,
            account_hint,
            unverified_since,
        ) = row
        # A session older than the reset belongs to the old keys whatever else ended it
        # (say the device was removed first): the client must learn about the reset.
        if revoked_reason == REASON_RESET or (reset_at is not None and created_at < reset_at):
            raise AccountReset(reset_at=reset_at, generation=generation)
        if revoked_at is not None:
            raise revoked_error(revoked_reason, account_hint)
        now = utcnow()
        if self.lifetimes.expired(created_at, last_seen_at, idle_seconds, now):
            raise revoked_error(REASON_EXPIRED)
        if unverified_since is not None:
            raise EmailUnverified()
        if last_seen_at is None or now - last_seen_at > LAST_SEEN_RESOLUTION:
            with self.database.write() as db:
                db.execute(update(Device).where(Device.id == device_pk).values(last_seen_at=now))
        return Principal(
            account_id=account_id,
            session_pk=session_pk,
            device_pk=device_pk,
            device_id=device_id,
            generation=generation,
            reset_at=reset_at,
        )

    def logout(self, principal: Principal) -> None:
        now = utcnow()
        with self.database.write() as db:
            db.execute(
                update(Session)
                .where(Session.id == principal.session_pk, Session.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=REASON_LOGOUT)
            )
            still_open = db.scalar(
                select(Session.id).where(
                    Session.device_pk == principal.device_pk, Session.revoked_at.is_(None)
                )
            )
            if still_open is None:
                db.execute(
                    update(Device)
                    .where(Device.id == principal.device_pk, Device.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=REASON_LOGOUT)
                )
