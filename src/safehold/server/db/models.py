"""The tables. Secrets never reach them: the server stores the SRP verifier, the KDF salt
and parameters, the wrapped keyset and envelopes (all opaque), and only hashes of tokens.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    false,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(UTC)


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every database (SQLite keeps no time zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)


class Account(Base):
    __tablename__ = "accounts"

    account_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    #: Normalised (spec §2), so uniqueness is case-insensitive.
    email: Mapped[str] = mapped_column(String(254), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    kdf_salt: Mapped[str] = mapped_column(String(64))
    kdf_t: Mapped[int] = mapped_column(Integer)
    kdf_m_kib: Mapped[int] = mapped_column(Integer)
    kdf_p: Mapped[int] = mapped_column(Integer)
    verifier: Mapped[str] = mapped_column(Text)
    keyset: Mapped[str] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(String(200))
    generation: Mapped[int] = mapped_column(Integer, default=1)
    reset_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: The "your account was reset" mail is owed: set with the reset, in its transaction,
    #: and cleared once the relay took the mail, so a crash in between cannot lose it.
    reset_mail_due: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The last sequence number handed out; every write takes the next one.
    seq: Mapped[int] = mapped_column(BigInteger, default=0)
    #: Live items (tombstones excluded), kept in step with writes for the quota.
    item_count: Mapped[int] = mapped_column(Integer, default=0)
    plan: Mapped[str] = mapped_column(String(16), default="free")
    license_expires: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: Set while the address of an account made under ``SAFEHOLD_SIGNUPS=verify`` is not
    #: confirmed yet: its sessions are refused until then. NULL otherwise.
    unverified_since: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Device(Base):
    """One sign-in of a device; a revoked row stays so its sessions can say why."""

    __tablename__ = "devices"
    __table_args__ = (Index("ix_devices_account_device", "account_id", "device_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id", ondelete="CASCADE"))
    device_id: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    last_seen_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: logout, revoked (by the user) or reset.
    revoked_reason: Mapped[str | None] = mapped_column(String(32))


class Session(Base):
    __tablename__ = "sessions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    #: SHA-256 of the bearer token, hex. The token itself is never stored.
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True)
    device_pk: Mapped[int] = mapped_column(ForeignKey("devices.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    #: logout, device_revoked, password_change or reset.
    revoked_reason: Mapped[str | None] = mapped_column(String(32))
    #: This session's own idle lifetime (seconds), shorter than the server's; NULL: the
    #: server's (settings.session_idle_seconds).
    idle_seconds: Mapped[int | None] = mapped_column(Integer)


class Item(Base):
    """An item's latest state: an envelope, or a tombstone (``deleted``)."""

    __tablename__ = "items"
    __table_args__ = (Index("ix_items_account_seq", "account_id", "seq", unique=True),)

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    seq: Mapped[int] = mapped_column(BigInteger)
    envelope: Mapped[str | None] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: A tombstone: v1 ones have no envelope, v2 ones are sealed (spec/protocol.md §11).
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The writing device and its sequence number, as a v2 write claims them (NULL: v1).
    device: Mapped[str | None] = mapped_column(String(32))
    device_seq: Mapped[int | None] = mapped_column(BigInteger)


class Login(Base):
    """The server's half of an SRP handshake between start and finish (spec/api.md)."""

    __tablename__ = "logins"

    login_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: NULL for an unknown email: the finish step then fails like a wrong password.
    account_id: Mapped[str | None] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True
    )
    email: Mapped[str] = mapped_column(String(254))
    #: ``b`` sealed under a key from the server secret (services/auth.py): never in clear.
    b: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class RateEvent(Base):
    """One counted event (a failed sign-in, a reset request) for a bucket such as
    ``login-account:<id>``; shared by every server process through the database."""

    __tablename__ = "rate_events"
    __table_args__ = (Index("ix_rate_events_bucket_at", "bucket", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    bucket: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime] = mapped_column(UtcDateTime)


class ResetToken(Base):
    __tablename__ = "reset_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StoredRecoveryCode(Base):
    """An account's recovery code as the server may know it (spec/protocol.md §9.2): the
    vault key wrapped under a key only the code gives, and SHA-256 of the code's
    authenticator. At most one per account; a code of an older generation is void."""

    __tablename__ = "recovery_codes"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
    )
    generation: Mapped[int] = mapped_column(Integer)
    #: ``seal(rk, vk, …)``, base64url: opaque here.
    wrapped: Mapped[str] = mapped_column(Text)
    #: ``SHA-256(ra)``, lowercase hex.
    auth_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)


class RecoveryToken(Base):
    """An emailed recovery link (its hash); separate from reset links so that neither can
    be used as the other."""

    __tablename__ = "recovery_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ResetArchive(Base):
    """The generation a reset replaced (issue 14 §2, spec/archive.md §6): its keyset and KDF
    parameters, as the account had them, with its live items in ``reset_archive_items``.
    All of it is ciphertext that only the old password and the old account key open; the
    old verifier is not kept (nothing signs in to an archive)."""

    __tablename__ = "reset_archives"

    archive_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True)
    #: The generation the archived items and keyset were sealed for.
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: When the purge removes it (``SAFEHOLD_RESET_ARCHIVE_DAYS`` after ``created_at``).
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kdf_salt: Mapped[str] = mapped_column(String(64))
    kdf_t: Mapped[int] = mapped_column(Integer)
    kdf_m_kib: Mapped[int] = mapped_column(Integer)
    kdf_p: Mapped[int] = mapped_column(Integer)
    keyset: Mapped[str] = mapped_column(Text)
    item_count: Mapped[int] = mapped_column(Integer, default=0)


class ResetArchiveItem(Base):
    """One live item of an archived generation, as the ``items`` row held it."""

    __tablename__ = "reset_archive_items"

    archive_id: Mapped[str] = mapped_column(
        ForeignKey("reset_archives.archive_id", ondelete="CASCADE"), primary_key=True
    )
    item_id: Mapped[str] = mapped_column(String(32), primary_key=True)
    revision: Mapped[int] = mapped_column(Integer)
    envelope: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The v2 claims the envelope is bound to (NULL: a v1 write), as in ``items``.
    device: Mapped[str | None] = mapped_column(String(32))
    device_seq: Mapped[int | None] = mapped_column(BigInteger)


class ScheduledReset(Base):
    """A completed reset form waiting for ``SAFEHOLD_RESET_DELAY_HOURS`` (issue 14 §6).

    It holds the new credentials the form sent (public-safe, like ``accounts``) until it is
    applied when due, or cancelled by a signed-in device of the current generation."""

    __tablename__ = "scheduled_resets"

    account_id: Mapped[str] = mapped_column(
        ForeignKey("accounts.account_id", ondelete="CASCADE"), primary_key=True
    )
    #: SHA-256 of the link used: the same form sent again gets the same answer.
    token_hash: Mapped[str] = mapped_column(String(64))
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime)
    #: The client address that completed the form (told to the account and its devices).
    requested_from: Mapped[str] = mapped_column(String(64))
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    kdf_salt: Mapped[str] = mapped_column(String(64))
    kdf_t: Mapped[int] = mapped_column(Integer)
    kdf_m_kib: Mapped[int] = mapped_column(Integer)
    kdf_p: Mapped[int] = mapped_column(Integer)
    verifier: Mapped[str] = mapped_column(Text)
    keyset: Mapped[str] = mapped_column(Text)
    hint: Mapped[str | None] = mapped_column(String(200))
    #: The form's "Delete the old data now instead": no archive is kept.
    delete_old: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class Invite(Base):
    """An address an administrator invited (``safehold-server accounts invite EMAIL``): with
    ``SAFEHOLD_SIGNUPS=closed`` only invited addresses can sign up, once each."""

    __tablename__ = "invites"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class EmailVerification(Base):
    """A mailed link that confirms an account's address (``SAFEHOLD_SIGNUPS=verify``)."""

    __tablename__ = "email_verifications"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.account_id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
