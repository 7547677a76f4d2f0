"""Account reset (issue 5): the emailed link, what the reset page needs, and the wipe.

The wipe is one transaction: items and tombstones deleted, every session and device
revoked (session rows stay, marked ``reset``, so an old device is told "account reset"
rather than a bare 401), credentials replaced, ``generation`` raised, the token used.
``account_id``, email, plan, licence and creation date are kept.

Contract used by the web pages (``request.app.state.services.reset``)::

    request(email, client_ip) -> None            # RateLimited
    info(token) -> wire.ResetInfo                # TokenInvalid / TokenExpired / TokenUsed
    complete(token, body) -> wire.ResetCompleteResponse   # the above, InvalidRequest
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from sqlalchemy import delete, select, update

from safehold import wire

from ..db.models import Account, Device, Item, Login, ResetToken, Session, utcnow
from ..db.session import Database
from ..errors import InvalidRequest, TokenExpired, TokenInvalid, TokenUsed
from ..mail import messages
from ..mail.dispatch import Mailer
from ..settings import Settings
from .accounts import Credentials, clean_email
from .devices import active_devices, device_model
from .ratelimit import RateLimiter
from .sessions import REASON_RESET, hash_token, new_token

log = logging.getLogger("safehold.server.reset")
RESET_ACCEPTED = "If an account exists for that address, we have sent an email"


class ResetService:
    def __init__(self, database: Database, settings: Settings, mailer: Mailer, limiter: RateLimiter) -> None:
        self.database = database
        self.settings = settings
        self.mailer = mailer
        self.limiter = limiter

    def request(self, email: str, client_ip: str) -> None:
        """Mail a reset link if the account exists; the caller answers the same either way."""
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
            db.add(
                ResetToken(
                    token_hash=hash_token(token),
                    account_id=account.account_id,
                    created_at=now,
                    expires_at=expires_at,
                )
            )
        log.info("reset link issued for account %s", account.account_id)
        self.mailer.send(
            messages.reset_requested(
                sender=s.smtp_from,
                to=address,
                link=f"{s.base_url}/reset/{token}",
                expires_at=expires_at,
                client_ip=client_ip,
                base_url=s.base_url,
            )
        )

    @staticmethod
    def _usable(token_row: ResetToken | None) -> ResetToken:
        if token_row is None:
            raise TokenInvalid()
        if token_row.used_at is not None:
            raise TokenUsed()
        if token_row.expires_at <= utcnow():
            raise TokenExpired()
        return token_row

    def info(self, token: str) -> wire.ResetInfo:
        with self.database.read() as db:
            row = self._usable(db.get(ResetToken, hash_token(token)))
            account = db.get(Account, row.account_id)
            if account is None:
                raise TokenInvalid()
            return wire.ResetInfo(
                email=account.email,
                account_id=account.account_id,
                next_generation=account.generation + 1,
                kdf_params=self.settings.default_kdf_params,
                devices=[device_model(d) for d in active_devices(db, account.account_id)],
                expires_at=row.expires_at,
            )

    def complete(self, token: str, body: wire.ResetCompleteRequest) -> wire.ResetCompleteResponse:
        if not body.confirm_wipe:
            raise InvalidRequest(
                "confirm that all data in this account will be deleted", field="confirm_wipe"
            )
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check()
        now = utcnow()
        with self.database.write() as db:
            row = self._usable(db.get(ResetToken, hash_token(token), with_for_update=True))
            account = db.get(Account, row.account_id, with_for_update=True, populate_existing=True)
            if account is None:
                raise TokenInvalid()
            account_id = account.account_id
            db.execute(delete(Item).where(Item.account_id == account_id))
            db.execute(delete(Login).where(Login.account_id == account_id))
            db.execute(
                update(Session)
                .where(Session.account_id == account_id, Session.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=REASON_RESET)
            )
            db.execute(
                update(Device)
                .where(Device.account_id == account_id, Device.revoked_at.is_(None))
                .values(revoked_at=now, revoked_reason=REASON_RESET)
            )
            credentials.store(account)
            account.hint = body.hint or None
            account.generation += 1
            account.reset_at = now
            account.item_count = 0
            # Every outstanding link dies with the one used: each was for the old account.
            db.execute(
                update(ResetToken)
                .where(ResetToken.account_id == account_id, ResetToken.used_at.is_(None))
                .values(used_at=now)
            )
            generation, email = account.generation, account.email
            if self.settings.test_reset_pause_seconds > 0:
                db.flush()
                log.warning("test hook: pausing inside the reset transaction")
                time.sleep(self.settings.test_reset_pause_seconds)
        log.info("account %s reset to generation %d", account_id, generation)
        s = self.settings
        self.mailer.send(
            messages.reset_done(
                sender=s.smtp_from, to=email, when=now, generation=generation, base_url=s.base_url
            )
        )
        return wire.ResetCompleteResponse(account_id=account_id, generation=generation, reset_at=now)
