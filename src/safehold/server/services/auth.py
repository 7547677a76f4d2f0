"""SRP-6a sign-in in two round trips (spec/protocol.md §6, spec/api.md "Sign-in").

The server's ephemeral ``b`` waits in the database between start and finish, so any
server process can finish a handshake another began. It waits *sealed* (AES-256-GCM under
a key derived from the server secret, bound to the login id): whoever knows ``b`` and the
stored verifier ``v`` can compute ``S = (A·v^u)^b`` for an ``A`` of their choosing and so
a valid proof, so a copy of the database alone must not hold ``b`` in clear. An unknown email gets an
``account_id``, salt and verifier derived from the server secret: stable across calls and
shaped like a real account's, and its finish fails exactly like a wrong password. The
fake verifier is an HKDF output reduced mod N, not ``g^x``: nobody ever sees ``v`` (only
``B = k*v + g^b``), and skipping that exponentiation makes an unknown email cost exactly
what a real one does, so timing does not tell them apart.

Targeted lock-out (OWASP's device cookies): a successful sign-in gives the device a
*device credential*, ``dc1.<nonce>.<HMAC(server secret, account id | nonce)>``, kept by the
client and shown at its next sign-in. A finish that shows a valid credential for the
account is counted in a bucket of that credential alone, not in the account's and the
client address's, so a stranger's failures for the email never lock out a device that
signed in before, and guessing with a (stolen) credential is slowed like any other. The
server keeps nothing of it: the HMAC is checked, and failures are rate events. A session's
own password change is counted per device for the same reason.

Every finish is counted as a failed attempt *before* the proof is checked, in the same
write transaction (and under the same bucket locks) as the back-off check; a proof that
turns out right takes its count back. Parallel guesses therefore cannot all slip past
the check before any of them is counted.

The modular exponentiations run outside any database transaction.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
from dataclasses import dataclass, replace
from datetime import timedelta

from sqlalchemy import delete, func, select, update

from safehold import wire
from safehold.crypto import (
    SrpError,
    SrpServer,
    TamperedData,
    b64decode,
    b64encode,
    hex_to_int,
    hkdf,
    int_to_hex,
    open_,
    seal,
)

from ..db.models import Account, Login, Session, utcnow
from ..db.session import Database
from ..errors import AuthFailed, EmailUnverified, RateLimited
from ..mail import messages
from ..mail.dispatch import Mailer
from ..settings import Settings
from .accounts import Credentials, kdf_params_of
from .devices import attach_device
from .fakes import FakeAccounts
from .ratelimit import RateLimiter
from .reset import drop_scheduled
from .sessions import REASON_KEY_ROTATED, REASON_PASSWORD_CHANGED, Principal, open_session

log = logging.getLogger("safehold.server.auth")
PROOF_LEN = 32
#: HKDF info for the key that seals a pending login's ``b`` (see the module docstring).
_B_KEY_INFO = b"safehold/server/login-b"
#: HKDF info for the key of device credentials, and their text form.
_DEVICE_KEY_INFO = b"safehold/server/device-credential"
DEVICE_CREDENTIAL_PREFIX = "dc1"


@dataclass(frozen=True, slots=True)
class _Pending:
    """A popped login: what the finish step needs, read in one short transaction."""

    account_id: str | None
    email: str
    salt: bytes
    v: int
    b: int
    verifier_text: str | None
    #: The rate events counted for this attempt; dropped again if the proof is right.
    attempt: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class FreshProof:
    """A fresh SRP proof that checked out (:meth:`AuthService.fresh_proof`)."""

    m2: bytes
    #: The verifier the proof was made against, to check it is still the account's.
    verifier: str
    attempt: tuple[int, ...]


def _proof(text: str) -> bytes:
    """A proof is exactly one hash (spec §6): a shorter text is not left-padded into one."""
    if len(text) != 2 * PROOF_LEN:
        raise AuthFailed()
    try:
        return bytes.fromhex(text)
    except ValueError:
        raise AuthFailed() from None


class AuthService:
    def __init__(
        self,
        database: Database,
        settings: Settings,
        mailer: Mailer,
        limiter: RateLimiter,
        secret: bytes,
    ) -> None:
        self.database = database
        self.settings = settings
        self.mailer = mailer
        self.limiter = limiter
        self._secret = secret
        self._b_key = hkdf(secret, None, _B_KEY_INFO, 32)
        self._device_key = hkdf(secret, None, _DEVICE_KEY_INFO, 32)
        self.fakes = FakeAccounts(secret)

    # --- device credentials (targeted lock-out) -----------------------------------------

    def _device_mac(self, account_id: str, nonce: str) -> str:
        mac = hmac.new(self._device_key, f"{account_id}|{nonce}".encode(), hashlib.sha256).digest()
        return b64encode(mac)

    def issue_device_credential(self, account_id: str) -> str:
        nonce = b64encode(secrets.token_bytes(16))
        return f"{DEVICE_CREDENTIAL_PREFIX}.{nonce}.{self._device_mac(account_id, nonce)}"

    def device_bucket(self, account_id: str | None, credential: str | None) -> str | None:
        """The failure bucket of ``credential`` if it is valid for ``account_id``, else None."""
        if account_id is None or not credential:
            return None
        prefix, _, rest = credential.partition(".")
        nonce, _, mac = rest.partition(".")
        if prefix != DEVICE_CREDENTIAL_PREFIX or not nonce or not mac:
            return None
        if not hmac.compare_digest(mac, self._device_mac(account_id, nonce)):
            return None
        return f"login-device:{hashlib.sha256(credential.encode()).hexdigest()[:40]}"

    def _seal_b(self, login_id: str, b: int) -> str:
        return b64encode(seal(self._b_key, int_to_hex(b).encode("ascii"), login_id.encode("ascii")))

    def _open_b(self, login_id: str, text: str) -> int | None:
        """The login's ``b``, or ``None`` for a value that does not open (written before
        this release, or altered in the database): the finish then fails like a wrong
        password, counted as one."""
        try:
            return hex_to_int(open_(self._b_key, b64decode(text), login_id.encode("ascii")).decode("ascii"))
        except (TamperedData, ValueError):
            return None

    # --- unknown emails -----------------------------------------------------------------

    def _fake(self, email: str) -> tuple[str, bytes, int]:
        """``account_id``, salt and verifier for an address with no account (fakes.py)."""
        return self.fakes.account_id(email), self.fakes.salt(email), self.fakes.verifier(email)

    def _params_distribution(self) -> list[tuple[wire.KdfParams, int]]:
        """How many real accounts have each Argon2id cost, in a fixed order."""
        with self.database.read() as db:
            rows = db.execute(
                select(Account.kdf_t, Account.kdf_m_kib, Account.kdf_p, func.count())
                .group_by(Account.kdf_t, Account.kdf_m_kib, Account.kdf_p)
                .order_by(Account.kdf_t, Account.kdf_m_kib, Account.kdf_p)
            ).all()
        return [(wire.KdfParams(t=t, m_kib=m, p=p), int(n)) for t, m, p, n in rows]

    # --- start --------------------------------------------------------------------------

    def start(self, body: wire.AuthStartRequest, client_ip: str) -> wire.AuthStartResponse:
        email = body.email  # normalised by the wire model
        s = self.settings
        with self.database.write() as db:
            # Before any exponentiation: each start costs the server one or two modexps.
            self.limiter.check_budget(
                db,
                [(self.limiter.client_key("start-client", client_ip), s.start_limit_per_client)],
                window=s.start_limit_window_seconds,
            )
            account = db.scalar(select(Account).where(Account.email == email))
            real = None
            if account is not None:
                real = (
                    account.account_id,
                    b64decode(account.kdf_salt),
                    hex_to_int(account.verifier),
                    kdf_params_of(account),
                )
        if real is not None:
            account_id, salt, v, params = real
        else:
            account_id, salt, v = self._fake(email)
            params = self.fakes.params(email, self.settings.default_kdf_params, self._params_distribution)
        server = SrpServer(email=email, salt=salt, v=v)
        login_id = secrets.token_urlsafe(24)
        with self.database.write() as db:
            db.add(
                Login(
                    login_id=login_id,
                    account_id=account_id if real is not None else None,
                    email=email,
                    b=self._seal_b(login_id, server.b),
                    expires_at=utcnow() + timedelta(seconds=self.settings.login_ttl_seconds),
                )
            )
            # Expired handshakes are dropped as a side effect rather than by a timer.
            db.execute(delete(Login).where(Login.expires_at < utcnow()))
        return wire.AuthStartResponse(
            login_id=login_id,
            account_id=account_id,
            kdf_salt=b64encode(salt),
            kdf_params=params,
            B=int_to_hex(server.B),
        )

    # --- finish -------------------------------------------------------------------------

    def _buckets(
        self, pending: _Pending | None, login_email: str | None, client_ip: str, trusted: str | None = None
    ) -> list[str]:
        if trusted is not None:
            # A device that signed in before: its own failures only (module docstring).
            return [trusted]
        buckets = [self.limiter.client_key("login-client", client_ip)]
        if pending is not None and pending.account_id is not None:
            buckets.append(f"login-account:{pending.account_id}")
        elif login_email is not None:
            buckets.append(self.limiter.address_key("login-account", login_email))
        return buckets

    def _pop(
        self,
        login_id: str,
        client_ip: str,
        *,
        account_id: str | None = None,
        credential: str | None = None,
        trusted: str | None = None,
    ) -> _Pending:
        """Take the login (single use), check the back-off and count this attempt as a
        failure, all in one write transaction and before any SRP work."""
        s = self.settings
        limited: RateLimited | None = None
        attempt: list[int] = []
        with self.database.write() as db:
            login = db.get(Login, login_id)
            if login is None:
                email = None
            else:
                email = login.email
                db.delete(login)
            expired = login is None or login.expires_at <= utcnow()
            pending: _Pending | None = None
            b = None if login is None or expired else self._open_b(login.login_id, login.b)
            if login is not None and b is not None:
                if login.account_id is not None:
                    account = db.get(Account, login.account_id)
                    if account is not None:
                        pending = _Pending(
                            account.account_id,
                            account.email,
                            b64decode(account.kdf_salt),
                            hex_to_int(account.verifier),
                            b,
                            account.verifier,
                        )
                else:
                    _, salt, v = self._fake(login.email)
                    pending = _Pending(None, login.email, salt, v, b, None)
            if trusted is None and pending is not None:
                trusted = self.device_bucket(pending.account_id, credential)
            buckets = self._buckets(pending, email, client_ip, trusted)
            self.limiter.lock(db, buckets)
            try:
                self.limiter.check_backoff(
                    db,
                    buckets,
                    free=s.login_free_failures,
                    window=s.login_failure_window_seconds,
                    cap=s.login_max_delay_seconds,
                )
            except RateLimited as exc:
                limited = exc  # raised after the commit, so the login stays used up
            else:
                attempt = self.limiter.record(db, buckets)
        if limited is not None:
            raise limited
        if pending is None or (account_id is not None and pending.account_id != account_id):
            raise AuthFailed()
        return replace(pending, attempt=tuple(attempt))

    @staticmethod
    def _verify(pending: _Pending, A: str, M1: str) -> bytes:
        """``M2`` if the proof is right; otherwise :class:`AuthFailed` (already counted)."""
        server = SrpServer(email=pending.email, salt=pending.salt, v=pending.v, b=pending.b)
        try:
            m2 = server.verify_client(hex_to_int(A), _proof(M1))
        except (SrpError, ValueError):
            raise AuthFailed() from None
        if pending.account_id is None:
            # Unreachable in practice (nobody knows the fake x), but never let it sign in.
            raise AuthFailed()
        return m2

    def finish(self, body: wire.AuthFinishRequest, client_ip: str) -> wire.AuthFinishResponse:
        pending = self._pop(body.login_id, client_ip, credential=body.device_credential)
        m2 = self._verify(pending, body.A, body.M1)
        assert pending.account_id is not None
        with self.database.write() as db:
            account = db.get(Account, pending.account_id)
            if account is None or account.verifier != pending.verifier_text:
                raise AuthFailed()  # the password changed between start and finish
            self.limiter.forget(db, list(pending.attempt))
            unverified = account.unverified_since is not None
        if unverified:
            # Only after a right proof (an unknown address must not answer this), and after
            # the commit, so the right proof is not counted as a failure.
            raise EmailUnverified()
        with self.database.write() as db:
            account = db.get(Account, pending.account_id)
            if account is None or account.verifier != pending.verifier_text:
                raise AuthFailed()
            device, first_time = attach_device(db, account.account_id, body.device_id, body.device_name)
            # A session may ask to expire sooner when idle, never later than the server says.
            idle = body.session_idle_seconds
            if idle is not None and idle >= self.settings.session_idle_seconds:
                idle = None
            token = open_session(db, account.account_id, device, idle_seconds=idle)
            response = wire.AuthFinishResponse(
                M2=m2.hex(),
                session=wire.SessionInfo(token=token, device_id=body.device_id),
                keyset=account.keyset,
                generation=account.generation,
                hint=account.hint,
                device_credential=self.issue_device_credential(account.account_id),
            )
            email = account.email
        if first_time:
            self.mailer.send(
                messages.new_signin(
                    sender=self.settings.smtp_from,
                    to=email,
                    device_name=body.device_name,
                    when=utcnow(),
                    client_ip=client_ip,
                    base_url=self.settings.base_url,
                )
            )
        return response

    # --- a fresh proof for other services ----------------------------------------------

    def fresh_proof(self, principal: Principal, login_id: str, A: str, M1: str, client_ip: str) -> FreshProof:
        """Check a fresh SRP proof of the current credentials (counted like a sign-in).

        The caller, in its own write transaction, MUST check that ``verifier`` is still the
        account's and then :meth:`RateLimiter.forget` the ``attempt`` events."""
        pending = self._pop(login_id, client_ip, account_id=principal.account_id)
        m2 = self._verify(pending, A, M1)
        assert pending.verifier_text is not None
        return FreshProof(m2=m2, verifier=pending.verifier_text, attempt=tuple(pending.attempt))

    # --- password change ----------------------------------------------------------------

    def change_password(
        self, principal: Principal, body: wire.PasswordChangeRequest, client_ip: str
    ) -> wire.PasswordChangeResponse:
        return self._replace_credentials(
            principal, body, client_ip, hint=body.hint, reason=REASON_PASSWORD_CHANGED
        )

    def rotate_key(
        self, principal: Principal, body: wire.KeyRotationRequest, client_ip: str
    ) -> wire.PasswordChangeResponse:
        """A new account key (spec/protocol.md "Account key rotation"): to the server the
        same as a password change (new salt, verifier, keyset under a fresh SRP proof), but
        other sessions are told the *key* changed, so their devices ask for it."""
        return self._replace_credentials(principal, body, client_ip, hint=None, reason=REASON_KEY_ROTATED)

    def _replace_credentials(
        self,
        principal: Principal,
        body: wire.PasswordChangeRequest | wire.KeyRotationRequest,
        client_ip: str,
        *,
        hint: str | None,
        reason: str,
    ) -> wire.PasswordChangeResponse:
        credentials = Credentials(body.kdf_salt, body.kdf_params, body.verifier, body.keyset)
        credentials.check(self.settings.min_kdf_params)
        # Signed in already: counted per device, so strangers' failures for the email do
        # not block the owner's password change.
        pending = self._pop(
            body.login_id,
            client_ip,
            account_id=principal.account_id,
            trusted=f"login-session-device:{principal.device_pk}",
        )
        m2 = self._verify(pending, body.A, body.M1)
        now = utcnow()
        with self.database.write() as db:
            account = db.get(Account, principal.account_id, with_for_update=True)
            if account is None or account.verifier != pending.verifier_text:
                raise AuthFailed()
            self.limiter.forget(db, list(pending.attempt))
            credentials.store(account)
            if hint is not None:
                account.hint = hint or None
            db.execute(
                update(Session)
                .where(
                    Session.account_id == principal.account_id,
                    Session.id != principal.session_pk,
                    Session.revoked_at.is_(None),
                )
                .values(revoked_at=now, revoked_reason=reason)
            )
            cancelled = drop_scheduled(db, principal.account_id)
            email = account.email
        what = "account key replaced" if reason == REASON_KEY_ROTATED else "password changed"
        log.info("%s for account %s", what, principal.account_id)
        if cancelled is not None:
            log.info("scheduled reset of account %s cancelled: %s", principal.account_id, what)
            changed = "key was replaced" if reason == REASON_KEY_ROTATED else "password was changed"
            self.mailer.send(
                messages.reset_cancelled(
                    sender=self.settings.smtp_from, to=email, requested_at=cancelled.requested_at, when=now,
                    client_ip=client_ip, base_url=self.settings.base_url,
                    because=f"the account {changed} on a signed-in device",
                )
            )  # fmt: skip
        return wire.PasswordChangeResponse(M2=m2.hex())
