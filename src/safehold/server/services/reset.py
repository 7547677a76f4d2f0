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

import hmac
import logging
import time
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from safehold import wire
from safehold.crypto import KdfPolicy

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


#: spec §3.2's ceilings: what every client refuses to derive, so the server refuses to store.
_CEILINGS = KdfPolicy()


def check_kdf_params(params: wire.KdfParams, minimum: wire.KdfParams) -> None:
    """Refuse a cost below the server's minimum or above the spec's ceilings.

    A cheap cost would make the new verifier easy to attack offline; an excessive one
    would lock every client out (they refuse it before running Argon2id). Each refusal
    names the field, so the page and the logs say which number is wrong.
    """
    limits = (
        ("t", params.t, minimum.t, _CEILINGS.max_t, "passes"),
        ("m_kib", params.m_kib, minimum.m_kib, _CEILINGS.max_m_kib, "KiB"),
        ("p", params.p, minimum.p, _CEILINGS.max_p, "lanes"),
    )
    for name, value, low, high, unit in limits:
        field = f"kdf_params.{name}"
        if value < low:
            raise InvalidRequest(f"{field} is {value}: this server needs at least {low} {unit}", field=field)
        if value > high:
            raise InvalidRequest(f"{field} is {value}: at most {high} {unit} are allowed", field=field)


class ResetService:
    def __init__(self, database: Database, settings: Settings, mailer: Mailer, limiter: RateLimiter) -> None:
        self.database = database
        self.settings = settings
        self.mailer = mailer
        self.limiter = limiter
        # Test hooks only with their explicit switch: a stray SAFEHOLD_TEST_RESET_PAUSE_SECONDS
        # on a production server is ignored, and said so.
        pause = settings.test_reset_pause_seconds
        self._pause = pause if settings.test_hooks_enabled else 0.0
        if pause > 0 and not settings.test_hooks_enabled:
            log.warning("SAFEHOLD_TEST_RESET_PAUSE_SECONDS ignored: test hooks are not enabled")
        elif self._pause > 0:
            log.warning(
                "TEST HOOK ACTIVE: every reset pauses %.1f s (%s); never run this in production",
                self._pause,
                settings.test_reset_pause_at,
            )

    def _test_pause(self, at: str) -> None:
        if self._pause > 0 and self.settings.test_reset_pause_at == at:
            log.warning(
                "test hook: pausing %s",
                "inside the reset transaction" if at == "before_commit" else "after the reset committed",
            )
            time.sleep(self._pause)

    def request(self, email: str, client_ip: str) -> None:
        """Mail a reset link if the account exists; the caller answers the same either way."""
        s = self.settings
        try:
            address = clean_email(email)
            mail_to = address
        except InvalidRequest:
            address = email.strip().lower()
            mail_to = "nobody@example.invalid"  # never sent: no account has such an address
        now = utcnow()
        expires_at = now + timedelta(minutes=s.reset_token_minutes)
        token = new_token()
        # Rendered before we know whether the account exists, and for an unknown address
        # too (then dropped): the work a real request does, so its time does not tell.
        message = messages.reset_requested(
            sender=s.smtp_from,
            to=mail_to,
            link=f"{s.base_url}/reset/{token}",
            expires_at=expires_at,
            client_ip=client_ip,
            base_url=s.base_url,
        )
        with self.database.write() as db:
            self.limiter.check_budget(
                db,
                [
                    (self.limiter.address_key("reset-address", address), s.request_limit_per_address),
                    (self.limiter.client_key("reset-client", client_ip), s.request_limit_per_client),
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
        self.mailer.send(message)

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

    @staticmethod
    def _replay(
        db: DbSession, row: ResetToken | None, credentials: Credentials
    ) -> wire.ResetCompleteResponse | None:
        """The answer to a reset that already happened with exactly these keys, else ``None``.

        If the server dies after the commit, or the answer is lost on the way, the page
        never hears that the reset worked and sends the same request again. The new
        verifier, salt and keyset are random per attempt, so finding them stored under this
        used link means this request is the one that used it: answer as the first time
        (no second wipe, no second mail) instead of "link already used", and the person
        gets to see the key the account now has.
        """
        if row is None or row.used_at is None:
            return None
        account = db.get(Account, row.account_id)
        if account is None or account.reset_at is None:
            return None
        same = (
            hmac.compare_digest(account.verifier, credentials.verifier.lower())
            and hmac.compare_digest(account.kdf_salt, credentials.kdf_salt)
            and hmac.compare_digest(account.keyset, credentials.keyset)
        )
        if not same:
            return None
        log.info("reset of account %s answered again (same keys, lost answer)", account.account_id)
        return wire.ResetCompleteResponse(
            account_id=account.account_id, generation=account.generation, reset_at=account.reset_at
        )

    def complete(self, token: str, body: wire.ResetCompleteRequest) -> wire.ResetCompleteResponse:
        if not body.confirm_wipe:
            raise InvalidRequest(
                "confirm that all data in this account will be deleted", field="confirm_wipe"
            )
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check()
        check_kdf_params(body.kdf_params, self.settings.min_kdf_params)
        now = utcnow()
        with self.database.write() as db:
            found = db.get(ResetToken, hash_token(token), with_for_update=True)
            replayed = self._replay(db, found, credentials)
            if replayed is not None:
                return replayed
            row = self._usable(found)
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
            account.reset_mail_due = True
            # Every outstanding link dies with the one used: each was for the old account.
            db.execute(
                update(ResetToken)
                .where(ResetToken.account_id == account_id, ResetToken.used_at.is_(None))
                .values(used_at=now)
            )
            generation, email = account.generation, account.email
            if self._pause > 0:
                db.flush()
                self._test_pause("before_commit")
        log.info("account %s reset to generation %d", account_id, generation)
        self._test_pause("after_commit")
        self._send_reset_done(account_id, email, now, generation)
        return wire.ResetCompleteResponse(account_id=account_id, generation=generation, reset_at=now)

    def _send_reset_done(self, account_id: str, email: str, when: datetime, generation: int) -> None:
        s = self.settings
        message = messages.reset_done(
            sender=s.smtp_from, to=email, when=when, generation=generation, base_url=s.base_url
        )

        def sent() -> None:
            with self.database.write() as db:
                db.execute(
                    update(Account)
                    .where(Account.account_id == account_id, Account.generation == generation)
                    .values(reset_mail_due=False)
                )

        self.mailer.send(message, on_sent=sent)

    def send_owed_mail(self) -> int:
        """Queue the "your account was reset" mails that a crash (or a relay that never
        came back before the server stopped) left unsent; called when the server starts.
        Several processes starting at once may each send one: a duplicate, never a loss."""
        with self.database.read() as db:
            owed = db.execute(
                select(Account.account_id, Account.email, Account.reset_at, Account.generation).where(
                    Account.reset_mail_due.is_(True)
                )
            ).all()
        for account_id, email, reset_at, generation in owed:
            log.info("sending the reset mail still owed to account %s", account_id)
            self._send_reset_done(account_id, email, reset_at or utcnow(), generation)
        return len(owed)
