"""The recovery code (spec/protocol.md §9.2): a forgotten password without a reset.

The server keeps, per account, the vault key wrapped under a key only the code gives
(opaque here) and ``SHA-256(ra)``, where ``ra`` is an HKDF output of the code that the
client sends only when it uses the code. Using it needs both the code and an emailed
link: the link proves the mailbox, ``ra`` proves the code. A recovery replaces the
password's credentials (new salt, verifier and keyset, made on the device around the
**same** vault key), keeps the generation and every item, revokes every session with the
reason ``recovered`` (devices keep their data and ask for the new password and key), and
uses the code up.

    set_code(principal, body, ip) -> RecoveryCodeResponse   # a fresh SRP proof; AuthFailed
    revoke(principal) -> None
    status(principal) -> RecoveryStatus
    request(email, ip) -> None                               # RateLimited; same answer always
    info(token) -> RecoveryInfo                              # TokenInvalid/Expired/Used
    open(token, body, ip) -> RecoveryOpenResponse            # the above, RecoveryCodeWrong, RateLimited
    complete(token, body, ip) -> RecoveryCompleteResponse    # the above, InvalidRequest
"""

from __future__ import annotations

import hmac
import logging
from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from safehold import wire
from safehold.crypto import CryptoError, b64decode, recovery_auth_matches

from ..db.models import Account, Login, RecoveryToken, Session, StoredRecoveryCode, utcnow
from ..db.session import Database
from ..errors import AuthFailed, InvalidRequest, RecoveryCodeWrong
from ..mail import messages
from ..mail.dispatch import Mailer
from ..settings import Settings
from .accounts import Credentials, clean_email
from .auth import AuthService
from .ratelimit import RateLimiter
from .reset import MailedLink, check_kdf_params, drop_scheduled
from .sessions import REASON_RECOVERED, Principal, hash_token, new_token

log = logging.getLogger("safehold.server.recovery")
RECOVERY_ACCEPTED = "If an account exists for that address, we have sent an email"
#: spec §5: a sealed 32-byte key is 1 + 12 + 32 + 16 bytes.
WRAPPED_LEN = 61


RECOVERY_LINK = MailedLink("recovery", "ask for a new one")


class RecoveryService:
    def __init__(
        self, database: Database, settings: Settings, mailer: Mailer, limiter: RateLimiter, auth: AuthService
    ) -> None:
        self.database = database
        self.settings = settings
        self.mailer = mailer
        self.limiter = limiter
        self.auth = auth

    # --- the code, from a signed-in device --------------------------------------------

    @staticmethod
    def _current(db: DbSession, account: Account) -> StoredRecoveryCode | None:
        """The account's code, if it was made for the generation now in force: a reset
        gave a new vault key, so an older wrap opens nothing that is live."""
        row = db.get(StoredRecoveryCode, account.account_id)
        return row if row is not None and row.generation == account.generation else None

    def set_code(
        self, principal: Principal, body: wire.RecoveryCodeRequest, client_ip: str
    ) -> wire.RecoveryCodeResponse:
        try:
            wrapped = b64decode(body.wrapped)
        except CryptoError:
            raise InvalidRequest("wrapped is not base64url", field="wrapped") from None
        if len(wrapped) != WRAPPED_LEN:
            raise InvalidRequest("wrapped must be a sealed 32-byte key (61 bytes)", field="wrapped")
        proof = self.auth.fresh_proof(principal, body.login_id, body.A, body.M1, client_ip)
        now = utcnow()
        with self.database.write() as db:
            account = db.get(Account, principal.account_id, with_for_update=True)
            if account is None or account.verifier != proof.verifier:
                raise AuthFailed()
            self.limiter.forget(db, list(proof.attempt))
            row = db.get(StoredRecoveryCode, account.account_id)
            if row is None:
                row = StoredRecoveryCode(account_id=account.account_id)
                db.add(row)
            # A new code replaces the old one in the same row: the old one is void at once.
            row.generation = account.generation
            row.wrapped = body.wrapped
            row.auth_hash = body.auth_hash
            row.created_at = now
            generation, email = account.generation, account.email
        log.info("recovery code set for account %s", principal.account_id)
        self._notify_changed(email, removed=False)
        return wire.RecoveryCodeResponse(M2=proof.m2.hex(), generation=generation, created_at=now)

    def revoke(self, principal: Principal) -> None:
        with self.database.write() as db:
            account = db.get(Account, principal.account_id)
            removed = db.execute(
                delete(StoredRecoveryCode).where(StoredRecoveryCode.account_id == principal.account_id)
            ).rowcount  # type: ignore[attr-defined]
            email = account.email if account is not None else None
        if removed and email:
            log.info("recovery code removed for account %s", principal.account_id)
            self._notify_changed(email, removed=True)

    def status(self, principal: Principal) -> wire.RecoveryStatus:
        with self.database.read() as db:
            account = db.get(Account, principal.account_id)
            row = self._current(db, account) if account is not None else None
            return wire.RecoveryStatus(exists=row is not None, created_at=row.created_at if row else None)

    def _notify_changed(self, email: str, *, removed: bool) -> None:
        s = self.settings
        self.mailer.send(
            messages.recovery_code_changed(
                sender=s.smtp_from, to=email, when=utcnow(), removed=removed, base_url=s.base_url
            )
        )

    # --- using the code: the link, then the code ---------------------------------------

    def request(self, email: str, client_ip: str) -> None:
        """Mail a recovery link if the account exists; the caller answers the same either way.
        Counted in the reset requests' budgets: both mail the same address."""
        s = self.settings
        try:
            address = clean_email(email)
        except InvalidRequest:
            address = email.strip().lower()
        now = utcnow()
        expires_at = now + timedelta(minutes=s.reset_token_minutes)
        token = new_token()
        with self.database.write() as db:
            self.limiter.check_budget(
                db,
                [
                    (self.limiter.address_key("reset-address", address), s.request_limit_per_address),
                    (f"reset-client:{client_ip}", s.request_limit_per_client),
                ],
                window=s.request_limit_window_seconds,
            )
            account = db.scalar(select(Account).where(Account.email == address))
            if account is None:
                return
            has_code = self._current(db, account) is not None
            if has_code:
                db.add(
                    RecoveryToken(
                        token_hash=hash_token(token),
                        account_id=account.account_id,
                        created_at=now,
                        expires_at=expires_at,
                    )
                )
            account_id = account.account_id
        log.info(
            "recovery link %s for account %s", "issued" if has_code else "not issued (no code)", account_id
        )
        self.mailer.send(
            messages.recovery_requested(
                sender=s.smtp_from,
                to=address,
                link=f"{s.base_url}/recover/{token}",
                expires_at=expires_at,
                client_ip=client_ip,
                base_url=s.base_url,
                has_code=has_code,
            )
        )

    def info(self, token: str) -> wire.RecoveryInfo:
        with self.database.read() as db:
            row, account, devices = RECOVERY_LINK.look(db, RecoveryToken, token)
            return wire.RecoveryInfo(
                email=account.email,
                account_id=account.account_id,
                generation=account.generation,
                kdf_params=self.settings.default_kdf_params,
                devices=devices,
                expires_at=row.expires_at,
                has_code=self._current(db, account) is not None,
            )

    def _buckets(self, account_id: str, client_ip: str) -> list[str]:
        return [f"recover-account:{account_id}", f"recover-client:{client_ip}"]

    def _check_code(
        self, db: DbSession, token: str, auth: str, client_ip: str
    ) -> tuple[RecoveryToken, Account, StoredRecoveryCode] | RecoveryCodeWrong:
        """Token, back-off, then the code. A wrong code is counted like a failed sign-in
        and *returned*, so the caller commits the count before raising it."""
        row = RECOVERY_LINK.usable(db.get(RecoveryToken, hash_token(token), with_for_update=True))
        account = db.get(Account, row.account_id, with_for_update=True, populate_existing=True)
        if account is None:
            raise RECOVERY_LINK.invalid()
        s = self.settings
        buckets = self._buckets(account.account_id, client_ip)
        self.limiter.lock(db, buckets)
        self.limiter.check_backoff(
            db, buckets, free=s.login_free_failures, window=s.login_failure_window_seconds,
            cap=s.login_max_delay_seconds,
        )  # fmt: skip
        code = self._current(db, account)
        try:
            ra = b64decode(auth)
        except CryptoError:
            raise InvalidRequest("auth is not base64url", field="auth") from None
        if code is None or not recovery_auth_matches(ra, bytes.fromhex(code.auth_hash)):
            self.limiter.record(db, buckets)
            log.info("wrong recovery code for account %s", account.account_id)
            return RecoveryCodeWrong()
        return row, account, code

    def open(self, token: str, body: wire.RecoveryOpenRequest, client_ip: str) -> wire.RecoveryOpenResponse:
        """The wrapped vault key, once the code is proven: the client must open it before
        it can build the new keyset around the same vault key."""
        with self.database.write() as db:
            checked = self._check_code(db, token, body.auth, client_ip)
            if not isinstance(checked, RecoveryCodeWrong):
                wrapped = checked[2].wrapped
        if isinstance(checked, RecoveryCodeWrong):
            raise checked
        return wire.RecoveryOpenResponse(wrapped=wrapped)

    @staticmethod
    def _replay(
        db: DbSession, token: str, credentials: Credentials
    ) -> wire.RecoveryCompleteResponse | None:
        """The answer to a recovery that already happened with exactly these keys, else None.

        As for a reset (services/reset.py): if the answer was lost, the device sends the same
        request again; the salt, verifier and keyset are random per attempt, so finding them
        in force under this used link means this request is the one that used it. Answering
        "already used" instead would lose the new account key, which exists only on the device.
        """
        row = db.get(RecoveryToken, hash_token(token))
        if row is None or row.used_at is None:
            return None
        account = db.get(Account, row.account_id)
        if account is None:
            return None
        same = (
            hmac.compare_digest(account.verifier, credentials.verifier.lower())
            and hmac.compare_digest(account.kdf_salt, credentials.kdf_salt)
            and hmac.compare_digest(account.keyset, credentials.keyset)
        )
        if not same:
            return None
        log.info("recovery of account %s answered again (same keys, lost answer)", account.account_id)
        return wire.RecoveryCompleteResponse(
            account_id=account.account_id, generation=account.generation, recovered_at=row.used_at
        )

    def complete(
        self, token: str, body: wire.RecoveryCompleteRequest, client_ip: str
    ) -> wire.RecoveryCompleteResponse:
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check()
        check_kdf_params(body.kdf_params, self.settings.min_kdf_params)
        now = utcnow()
        cancelled: wire.PendingReset | None = None
        with self.database.write() as db:
            replayed = self._replay(db, token, credentials)
            if replayed is not None:
                return replayed
            checked = self._check_code(db, token, body.auth, client_ip)
            if not isinstance(checked, RecoveryCodeWrong):
                _row, account, code = checked
                account_id = account.account_id
                self.limiter.clear(db, [f"recover-account:{account_id}"])
                credentials.store(account)
                account.hint = body.hint or None
                # Sign-ins begun against the old verifier would fail anyway; drop them.
                db.execute(delete(Login).where(Login.account_id == account_id))
                db.execute(
                    update(Session)
                    .where(Session.account_id == account_id, Session.revoked_at.is_(None))
                    .values(revoked_at=now, revoked_reason=REASON_RECOVERED)
                )
                # The code is used up (the server has seen ra), and so is every link.
                db.delete(code)
                db.execute(
                    update(RecoveryToken)
                    .where(RecoveryToken.account_id == account_id, RecoveryToken.used_at.is_(None))
                    .values(used_at=now)
                )
                generation, email = account.generation, account.email
                cancelled = drop_scheduled(db, account_id)
        if isinstance(checked, RecoveryCodeWrong):
            raise checked
        log.info("account %s recovered with its recovery code", account_id)
        s = self.settings
        self.mailer.send(
            messages.recovery_used(
                sender=s.smtp_from, to=email, when=now, client_ip=client_ip, base_url=s.base_url
            )
        )
        if cancelled is not None:
            log.info("scheduled reset of account %s cancelled: recovered", account_id)
            self.mailer.send(
                messages.reset_cancelled(
                    sender=s.smtp_from, to=email, requested_at=cancelled.requested_at, when=now,
                    client_ip=client_ip, base_url=s.base_url,
                    because="the account was recovered with its recovery code",
                )
            )  # fmt: skip
        return wire.RecoveryCompleteResponse(account_id=account_id, generation=generation, recovered_at=now)
