"""Accounts: sign-up, the account view, the hint mail, and the checks every set of
credentials (sign-up, password change, reset) must pass."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session as DbSession

from safehold import wire
from safehold.crypto import GROUP_3072, CryptoError, b64decode, hex_to_int

from ..db.models import Account, EmailVerification, Invite, utcnow
from ..db.session import Database
from ..errors import (
    EmailTaken,
    InvalidRequest,
    NotFound,
    SignupsClosed,
    TokenExpired,
    TokenInvalid,
    TokenUsed,
)
from ..mail import messages
from ..mail.dispatch import Mailer
from ..settings import Settings
from .devices import attach_device
from .fakes import FakeAccounts
from .ratelimit import RateLimiter
from .sessions import Principal, hash_token, new_token, open_session

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

    def check(self, minimum: wire.KdfParams | None = None) -> None:
        """Refuse malformed values; with ``minimum`` (``SAFEHOLD_MIN_KDF_PARAMS``) also an
        Argon2id cost below it or above the spec's ceilings (sign-up, password change,
        key rotation and reset all pass it)."""
        if minimum is not None:
            from .reset import check_kdf_params  # reset imports this module

            check_kdf_params(self.kdf_params, minimum)
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
    def __init__(
        self,
        database: Database,
        settings: Settings,
        mailer: Mailer,
        limiter: RateLimiter,
        fakes: FakeAccounts | None = None,
        device_credential: Callable[[str], str] | None = None,
    ) -> None:
        self.database = database
        self.settings = settings
        #: Recognises the account ids ``auth/start`` invents for unknown addresses.
        self.fakes = fakes
        #: Issues the device credential of a device that signed in (auth.py), if given.
        self.device_credential = device_credential
        self.mailer = mailer
        self.limiter = limiter

    def signup(self, body: wire.SignupRequest, client_ip: str = "unknown") -> wire.SignupResponse:
        email = clean_email(body.email)
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check(self.settings.min_kdf_params)
        s = self.settings
        # Sign-up must say that an address is taken (spec/api.md): that answer tells who has
        # an account, so it is rate-limited per client, like every other such question.
        with self.database.write() as db:
            self.limiter.check_budget(
                db,
                [(self.limiter.client_key("signup-client", client_ip), s.signup_limit_per_client)],
                window=s.signup_limit_window_seconds,
            )
        # An id that auth/start invented for an unknown address is "in use" too: otherwise
        # signing up with the id auth/start returned would tell real accounts from fakes.
        fake_id = self.fakes is not None and self.fakes.is_fake_id(body.account_id)
        try:
            with self.database.write() as db:
                invite = None
                if s.signups == "closed":
                    # Before "taken": an uninvited caller learns nothing about the address.
                    invite = db.get(Invite, email, with_for_update=True)
                    if invite is None or invite.used_at is not None:
                        raise SignupsClosed()
                holder = db.scalar(select(Account).where(Account.email == email))
                if holder is not None and self._abandoned(holder):
                    # Made under verify, never confirmed, link expired: it never worked and
                    # holds nothing. Keeping it would let anyone squat the address for ever.
                    db.delete(holder)
                    db.flush()
                    holder = None
                if holder is not None:
                    raise EmailTaken()
                if fake_id or db.get(Account, body.account_id) is not None:
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
                if invite is not None:
                    invite.used_at = utcnow()
                verify = s.signups == "verify"
                if verify:
                    account.unverified_since = account.created_at
                db.add(account)
                db.flush()
                device, _ = attach_device(db, account.account_id, body.device_id, body.device_name)
                token = open_session(db, account.account_id, device)
                link_token, expires_at = (
                    self._new_verification(db, account.account_id) if verify else (None, None)
                )
        except IntegrityError:
            # Two sign-ups with one address at the same moment: the loser learns it here.
            raise EmailTaken() from None
        if link_token is not None and expires_at is not None:
            self.mailer.send(
                messages.verify_address(
                    sender=s.smtp_from, to=email, link=f"{s.base_url}/verify/{link_token}",
                    expires_at=expires_at, base_url=s.base_url,
                )
            )  # fmt: skip
        return wire.SignupResponse(
            account_id=body.account_id,
            generation=1,
            session=wire.SessionInfo(token=token, device_id=body.device_id),
            verification_required=True if link_token is not None else None,
            device_credential=self.device_credential(body.account_id) if self.device_credential else None,
        )

    # --- confirming the address (SAFEHOLD_SIGNUPS=verify) ------------------------------------

    def _abandoned(self, account: Account) -> bool:
        window = timedelta(minutes=self.settings.verify_token_minutes)
        return account.unverified_since is not None and account.unverified_since + window <= utcnow()

    def _new_verification(self, db: DbSession, account_id: str) -> tuple[str, datetime]:
        token = new_token()
        now = utcnow()
        expires_at = now + timedelta(minutes=self.settings.verify_token_minutes)
        db.add(EmailVerification(token_hash=hash_token(token), account_id=account_id,
                                 created_at=now, expires_at=expires_at))  # fmt: skip
        return token, expires_at

    def _verification(self, db: DbSession, token: str) -> tuple[EmailVerification, Account]:
        row = db.get(EmailVerification, hash_token(token))
        if row is None:
            raise TokenInvalid()
        if row.used_at is not None:
            raise TokenUsed()
        if row.expires_at <= utcnow():
            raise TokenExpired()
        account = db.get(Account, row.account_id)
        if account is None:
            raise TokenInvalid()
        return row, account

    def verification_email(self, token: str) -> str:
        """The address a confirmation link is for (the page shows it before the button)."""
        with self.database.read() as db:
            return self._verification(db, token)[1].email

    def confirm_email(self, token: str) -> str:
        """Confirm the address of the link's account; from now on its sessions work."""
        with self.database.write() as db:
            row, account = self._verification(db, token)
            row.used_at = utcnow()
            account.unverified_since = None
            return account.email

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
