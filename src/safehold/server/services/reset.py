"""Account reset (issue 5): the emailed link, what the reset page needs, and the reset.

The reset is one transaction: the old generation's live items, keyset and KDF parameters
moved into a sealed archive (issue 14 §2, :mod:`.reset_archive`; not kept when the form
asks "delete the old data now" or ``SAFEHOLD_RESET_ARCHIVE_DAYS`` is 0), items and
tombstones deleted from the live account, every session and device revoked (session rows
stay, marked ``reset``, so an old device is told "account reset" rather than a bare 401),
credentials replaced, ``generation`` raised, the token used. ``account_id``, email, plan,
licence and creation date are kept.

With ``SAFEHOLD_RESET_DELAY_HOURS`` > 0 (issue 14 §6) a completed form is *scheduled*: the
new credentials wait in ``scheduled_resets``, the account is mailed when, from where and
until when; devices see it in ``GET /account``; a signed-in device can cancel it. It is
applied by :meth:`ResetService.maintain` (at start and on the maintenance tick) or by the
first ``GET /account`` after it is due.

Contract used by the web pages (``request.app.state.services.reset``)::

    request(email, client_ip) -> None            # RateLimited
    info(token) -> wire.ResetInfo                # TokenInvalid / TokenExpired / TokenUsed
    complete(token, body, client_ip) -> wire.ResetCompleteResponse   # the above, InvalidRequest
"""

from __future__ import annotations

import hmac
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TypeVar

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session as DbSession

from safehold import wire
from safehold.crypto import KdfPolicy

from ..db.models import (
    Account,
    Device,
    Item,
    Login,
    RecoveryToken,
    ResetToken,
    ScheduledReset,
    Session,
    utcnow,
)
from ..db.session import Database
from ..errors import AccountReset, InvalidRequest, NotFound, TokenExpired, TokenInvalid, TokenUsed
from ..mail import messages
from ..mail.dispatch import Mailer
from ..settings import Settings
from .accounts import Credentials, clean_email
from .devices import active_devices, device_model
from .ratelimit import RateLimiter
from .reset_archive import ResetArchiveService, archive_generation
from .sessions import REASON_RESET, Principal, hash_token, new_token

log = logging.getLogger("safehold.server.reset")
RESET_ACCEPTED = "If an account exists for that address, we have sent an email"

_LinkRow = TypeVar("_LinkRow", ResetToken, RecoveryToken)


@dataclass(frozen=True)
class MailedLink:
    """What reset and recovery links share: a row per link (its token's hash), used once,
    until it expires; each kind says why it cannot be used in its own words."""

    kind: str
    #: What the person can do instead, after "this … link has expired; ".
    again: str

    def invalid(self) -> TokenInvalid:
        return TokenInvalid(f"this {self.kind} link is not valid; {self.again}")

    def usable(self, row: _LinkRow | None) -> _LinkRow:
        if row is None:
            raise self.invalid()
        if row.used_at is not None:
            raise TokenUsed(f"this {self.kind} link was already used; {self.again}")
        if row.expires_at <= utcnow():
            raise TokenExpired(f"this {self.kind} link has expired; {self.again}")
        return row

    def look(
        self, db: DbSession, model: type[_LinkRow], token: str
    ) -> tuple[_LinkRow, Account, list[wire.Device]]:
        """A usable link's row, its account and the account's devices: what the page that
        opens the link shows before anything is changed."""
        row = self.usable(db.get(model, hash_token(token)))
        account = db.get(Account, row.account_id)
        if account is None:
            raise self.invalid()
        return row, account, [device_model(d) for d in active_devices(db, account.account_id)]


RESET_LINK = MailedLink("reset", "start the reset again")


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


def drop_scheduled(db: DbSession, account_id: str) -> wire.PendingReset | None:
    """Remove ``account_id``'s scheduled reset, in the caller's write transaction; what it
    was, or ``None``. For the owner proving the account's credentials some other way (a
    password change, a new key, a recovery): the reset that waited for them to object
    would otherwise later wipe an account its owner has just secured."""
    row = db.get(ScheduledReset, account_id, with_for_update=True)
    if row is None:
        return None
    dropped = _pending_model(row)
    db.delete(row)
    return dropped


def _pending_model(row: ScheduledReset) -> wire.PendingReset:
    return wire.PendingReset(
        requested_at=row.requested_at, requested_from=row.requested_from, effective_at=row.effective_at
    )


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

    def info(self, token: str) -> wire.ResetInfo:
        with self.database.read() as db:
            row, account, devices = RESET_LINK.look(db, ResetToken, token)
            return wire.ResetInfo(
                email=account.email,
                account_id=account.account_id,
                next_generation=account.generation + 1,
                kdf_params=self.settings.default_kdf_params,
                devices=devices,
                expires_at=row.expires_at,
                archive_days=self.settings.reset_archive_days,
                delay_hours=self.settings.reset_delay_hours,
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
        scheduled = db.get(ScheduledReset, row.account_id)
        if scheduled is not None and scheduled.token_hash == row.token_hash:
            if not (
                hmac.compare_digest(scheduled.verifier, credentials.verifier.lower())
                and hmac.compare_digest(scheduled.kdf_salt, credentials.kdf_salt)
                and hmac.compare_digest(scheduled.keyset, credentials.keyset)
            ):
                return None
            account = db.get(Account, row.account_id)
            if account is None:
                return None
            return wire.ResetCompleteResponse(
                account_id=account.account_id, generation=account.generation + 1,
                reset_at=scheduled.requested_at, scheduled_for=scheduled.effective_at,
            )  # fmt: skip
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

    def complete(
        self, token: str, body: wire.ResetCompleteRequest, client_ip: str = "unknown"
    ) -> wire.ResetCompleteResponse:
        if not body.confirm_wipe:
            raise InvalidRequest(
                "confirm that all data in this account will be deleted", field="confirm_wipe"
            )
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check()
        check_kdf_params(body.kdf_params, self.settings.min_kdf_params)
        now = utcnow()
        delay = self.settings.reset_delay_hours
        with self.database.write() as db:
            found = db.get(ResetToken, hash_token(token), with_for_update=True)
            replayed = self._replay(db, found, credentials)
            if replayed is not None:
                return replayed
            row = RESET_LINK.usable(found)
            account = db.get(Account, row.account_id, with_for_update=True, populate_existing=True)
            if account is None:
                raise RESET_LINK.invalid()
            account_id, email = account.account_id, account.email
            # Every outstanding link dies with the one used: each was for the old account.
            db.execute(
                update(ResetToken)
                .where(ResetToken.account_id == account_id, ResetToken.used_at.is_(None))
                .values(used_at=now)
            )
            if delay > 0:
                effective = now + timedelta(hours=delay)
                # A second completed form (from a later link) replaces the first: the
                # account is told again, and either can be cancelled the same way.
                db.merge(
                    ScheduledReset(
                        account_id=account_id, token_hash=row.token_hash, requested_at=now,
                        requested_from=client_ip[:64], effective_at=effective,
                        kdf_salt=credentials.kdf_salt, kdf_t=credentials.kdf_params.t,
                        kdf_m_kib=credentials.kdf_params.m_kib, kdf_p=credentials.kdf_params.p,
                        verifier=credentials.verifier.lower(), keyset=credentials.keyset,
                        hint=body.hint or None, delete_old=body.delete_old,
                    )
                )  # fmt: skip
                generation = account.generation + 1
            else:
                generation = self._apply(db, account, credentials, body.hint, body.delete_old, now)
                if self._pause > 0:
                    db.flush()
                    self._test_pause("before_commit")
        if delay > 0:
            log.info("reset of account %s scheduled for %s", account_id, effective.isoformat())
            self._send_scheduled(email, now, client_ip, effective)
            return wire.ResetCompleteResponse(
                account_id=account_id, generation=generation, reset_at=now, scheduled_for=effective
            )
        log.info("account %s reset to generation %d", account_id, generation)
        self._test_pause("after_commit")
        self._send_reset_done(account_id, email, now, generation)
        return wire.ResetCompleteResponse(account_id=account_id, generation=generation, reset_at=now)

    def _apply(
        self, db: DbSession, account: Account, credentials: Credentials, hint: str | None,
        delete_old: bool, now: datetime,
    ) -> int:  # fmt: skip
        """The reset itself, in the caller's transaction; the new generation."""
        account_id = account.account_id
        keep_days = 0.0 if delete_old else self.settings.reset_archive_days
        archive_id = archive_generation(db, account, now, keep_days)
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
        db.execute(delete(ScheduledReset).where(ScheduledReset.account_id == account_id))
        credentials.store(account)
        account.hint = hint or None
        account.generation += 1
        account.reset_at = now
        account.item_count = 0
        account.reset_mail_due = True
        if archive_id is not None:
            log.info("the old generation of account %s is kept as archive %s", account_id, archive_id)
        return account.generation

    # --- scheduled resets (issue 14 §6) ---------------------------------------------------

    def pending(self, principal: Principal, now: datetime | None = None) -> wire.PendingReset | None:
        """The reset scheduled for the caller's account, if any. One already due is applied
        here, and the caller gets :class:`AccountReset` like after any reset."""
        now = now or utcnow()
        with self.database.read() as db:
            row = db.get(ScheduledReset, principal.account_id)
            if row is None:
                return None
            pending = _pending_model(row)
        if pending.effective_at > now:
            return pending
        applied = self._apply_due_one(principal.account_id, now)
        if applied is None:
            return None  # cancelled meanwhile
        raise AccountReset(reset_at=utcnow(), generation=applied)

    def cancel(self, principal: Principal, client_ip: str) -> wire.PendingReset:
        """Cancel the account's scheduled reset (a signed-in device of the current
        generation); :class:`NotFound` if none is scheduled."""
        with self.database.write() as db:
            row = db.get(ScheduledReset, principal.account_id, with_for_update=True)
            if row is None:
                raise NotFound("no reset is scheduled for this account")
            cancelled = _pending_model(row)
            db.delete(row)
            account = db.get(Account, principal.account_id)
            email = account.email if account is not None else None
        log.info("scheduled reset of account %s cancelled by a device", principal.account_id)
        if email is not None:
            self.mailer.send(
                messages.reset_cancelled(
                    sender=self.settings.smtp_from, to=email, requested_at=cancelled.requested_at,
                    when=utcnow(), client_ip=client_ip, base_url=self.settings.base_url,
                )
            )  # fmt: skip
        return cancelled

    def _apply_due_one(self, account_id: str, now: datetime) -> int | None:
        """Apply ``account_id``'s scheduled reset if it is (still) due at ``now``; the new
        generation. The reset itself is stamped with the real time, whatever ``now`` a test
        passes: sessions made after it must count as made after it."""
        with self.database.write() as db:
            row = db.get(ScheduledReset, account_id, with_for_update=True, populate_existing=True)
            if row is None or row.effective_at > now:
                return None
            account = db.get(Account, account_id, with_for_update=True, populate_existing=True)
            if account is None:
                return None
            credentials = Credentials(
                row.kdf_salt, wire.KdfParams(t=row.kdf_t, m_kib=row.kdf_m_kib, p=row.kdf_p), row.verifier,
                row.keyset,
            )  # fmt: skip
            applied_at = utcnow()
            generation = self._apply(db, account, credentials, row.hint, row.delete_old, applied_at)
            email = account.email
        log.info("scheduled reset applied: account %s is at generation %d", account_id, generation)
        self._send_reset_done(account_id, email, applied_at, generation)
        return generation

    def apply_due(self, now: datetime | None = None) -> int:
        """Apply every scheduled reset that is due; how many."""
        now = now or utcnow()
        with self.database.read() as db:
            query = select(ScheduledReset.account_id).where(ScheduledReset.effective_at <= now)
            due = list(db.scalars(query))
        return sum(1 for account_id in due if self._apply_due_one(account_id, now) is not None)

    def maintain(self, now: datetime | None = None) -> tuple[int, int]:
        """The maintenance tick: due resets applied, expired archives purged (in that order,
        so a reset's archive never outlives its time by a tick)."""
        now = now or utcnow()
        applied = self.apply_due(now)
        purged = ResetArchiveService(self.database).purge(now)
        return applied, purged

    def _send_scheduled(self, email: str, when: datetime, client_ip: str, effective: datetime) -> None:
        s = self.settings
        self.mailer.send(
            messages.reset_scheduled(
                sender=s.smtp_from, to=email, when=when, client_ip=client_ip, effective_at=effective,
                base_url=s.base_url,
            )
        )  # fmt: skip

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
