"""Accounts: sign-up, the account view, the hint mail, and the checks every set of
credentials (sign-up, password change, reset) must pass."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from safehold import wire
from safehold.crypto import GROUP_3072, CryptoError, b64decode, hex_to_int

from ..db.models import Account, utcnow
from ..db.session import Database
from ..errors import EmailTaken, InvalidRequest, NotFound
from ..mail import messages
from ..mail.dispatch import Mailer
from ..settings import Settings
from .devices import attach_device
from .ratelimit import RateLimiter
from .sessions import Principal, open_session

HINT_ACCEPTED = "If an account with a hint exists for that address, we have sent the hint by email"
#: spec §3.1: kdf_salt is 16 bytes.
KDF_SALT_LEN = 16


@dataclass(frozen=True, slots=True)
class Credentials:
    """What the server keeps of a password and account key: all of it public-safe."""

    kdf_salt: str
    kdf_params: wire.KdfParams
    verifier: str
    keyset: str

    def check(self) -> None:
        try:
            salt = b64decode(self.kdf_salt)
        except CryptoError:
            raise InvalidRequest("kdf_salt is not base64url", field="kdf_salt") from None
        if len(salt) != KDF_SALT_LEN:
            raise InvalidRequest("kdf_salt must be 16 bytes", field="kdf_salt")
        try:
            v = hex_to_int(self.verifier)
        except CryptoError:
            raise InvalidRequest(
                "verifier is not lowercase hex without leading zeros", field="verifier"
            ) from None
        if not 1 < v < GROUP_3072.N:
            raise InvalidRequest("verifier is out of range", field="verifier")
        try:
            keyset = b64decode(self.keyset)
        except CryptoError:
            raise InvalidRequest("keyset is not base64url", field="keyset") from None
        if not 29 <= len(keyset) <= 4096:
            raise InvalidRequest("keyset has the wrong size", field="keyset")
        if self.kdf_params.m_kib < 8 * self.kdf_params.p:
            raise InvalidRequest("Argon2id needs at least 8 KiB per lane", field="kdf_params.m_kib")

    def store(self, account: Account) -> None:
        account.kdf_salt = self.kdf_salt
        account.kdf_t = self.kdf_params.t
        account.kdf_m_kib = self.kdf_params.m_kib
        account.kdf_p = self.kdf_params.p
        account.verifier = self.verifier.lower()
        account.keyset = self.keyset


def kdf_params_of(account: Account) -> wire.KdfParams:
    return wire.KdfParams(t=account.kdf_t, m_kib=account.kdf_m_kib, p=account.kdf_p)


def license_of(account: Account, now: datetime | None = None) -> wire.License:
    now = now or utcnow()
    expired = account.license_expires is not None and account.license_expires <= now
    return wire.License(
        plan=wire.Plan(account.plan),
        status=wire.LicenseStatus.EXPIRED if expired else wire.LicenseStatus.ACTIVE,
        expires=account.license_expires,
    )


def account_model(account: Account) -> wire.AccountResponse:
    return wire.AccountResponse(
        account_id=account.account_id,
        email=account.email,
        created_at=account.created_at,
        generation=account.generation,
        reset_at=account.reset_at,
        license=license_of(account),
        hint=account.hint,
        item_count=account.item_count,
    )


def clean_email(email: str) -> str:
    """The normalised address, by the wire rule (the admin CLI passes raw input here)."""
    try:
        return wire.clean_email(email)
    except ValueError as exc:
        raise InvalidRequest(f"that is not an email address: {exc}", field="email") from None


class AccountService:
    def __init__(self, database: Database, settings: Settings, mailer: Mailer, limiter: RateLimiter) -> None:
        self.database = database
        self.settings = settings
        self.mailer = mailer
        self.limiter = limiter

    def signup(self, body: wire.SignupRequest) -> wire.SignupResponse:
        email = clean_email(body.email)
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check()
        try:
            with self.database.write() as db:
                if db.scalar(select(Account.account_id).where(Account.email == email)) is not None:
                    raise EmailTaken()
                if db.get(Account, body.account_id) is not None:
                    raise InvalidRequest("this account_id is already in use", field="account_id")
                account = Account(
                    account_id=body.account_id,
                    email=email,
                    created_at=utcnow(),
                    hint=body.hint or None,
                    generation=1,
                    seq=0,
                    item_count=0,
                    plan=wire.Plan.FREE.value,
                )
                credentials.store(account)
                db.add(account)
                db.flush()
                device, _ = attach_device(db, account.account_id, body.device_id, body.device_name)
                token = open_session(db, account.account_id, device)
        except IntegrityError:
            # Two sign-ups with one address at the same moment: the loser learns it here.
            raise EmailTaken() from None
        return wire.SignupResponse(
            account_id=body.account_id,
            generation=1,
            session=wire.SessionInfo(token=token, device_id=body.device_id),
        )

    def get(self, principal: Principal) -> wire.AccountResponse:
        with self.database.read() as db:
            account = db.get(Account, principal.account_id)
            if account is None:
                raise NotFound("no such account")
            return account_model(account)

    def request_hint(self, email: str, client_ip: str) -> wire.AcceptedResponse:
        try:
            address = clean_email(email)
        except InvalidRequest:
            return wire.AcceptedResponse(message=HINT_ACCEPTED)
        settings = self.settings
        with self.database.write() as db:
            self.limiter.check_budget(
                db,
                [
                    (self.limiter.address_key("hint-address", address), settings.request_limit_per_address),
                    (self.limiter.client_key("hint-client", client_ip), settings.request_limit_per_client),
                ],
                window=settings.request_limit_window_seconds,
            )
            account = db.scalar(select(Account).where(Account.email == address))
            hint = account.hint if account is not None else None
        if hint:
            self.mailer.send(
                messages.hint(sender=settings.smtp_from, to=address, hint=hint, base_url=settings.base_url)
            )
        return wire.AcceptedResponse(message=HINT_ACCEPTED)
