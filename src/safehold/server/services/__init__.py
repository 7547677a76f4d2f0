"""Domain services: no HTTP types, one transaction per call. :func:`build_services`
wires them together; the app keeps the result at ``app.state.services``."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from ..client_address import Network
from ..db.session import Database
from ..mail.dispatch import Mailer
from ..mail.sender import MailSender, sender_from_settings
from ..secret import load_secret
from ..settings import Settings
from .accounts import AccountService
from .auth import AuthService
from .devices import DeviceService
from .ratelimit import RateLimiter
from .recovery import RecoveryService
from .reset import ResetService
from .reset_archive import ResetArchiveService
from .sessions import Lifetimes, SessionService
from .vault import VaultService


@dataclass(frozen=True, slots=True)
class Services:
    settings: Settings
    database: Database
    mailer: Mailer
    accounts: AccountService
    auth: AuthService
    sessions: SessionService
    devices: DeviceService
    vault: VaultService
    reset: ResetService
    recovery: RecoveryService
    archives: ResetArchiveService
    #: SAFEHOLD_TRUSTED_PROXIES, parsed once.
    proxies: tuple[Network, ...] = ()

    def close(self) -> None:
        self.mailer.close()
        self.database.dispose()


def build_services(settings: Settings, *, sender: MailSender | None = None) -> Services:
    database = Database(settings.effective_database_url)
    secret = load_secret(settings)
    mailer = Mailer(sender or sender_from_settings(settings), sync=settings.mail_sync)
    # Rate events outlive no window that could still count them.
    windows = (
        settings.login_failure_window_seconds,
        settings.request_limit_window_seconds,
        settings.start_limit_window_seconds,
        settings.signup_limit_window_seconds,
    )
    limiter = RateLimiter(secret, keep_seconds=max(windows))
    auth = AuthService(database, settings, mailer, limiter, secret)
    lifetimes = Lifetimes(
        idle=timedelta(seconds=settings.session_idle_seconds),
        absolute=timedelta(seconds=settings.session_absolute_seconds),
    )
    return Services(
        settings=settings,
        database=database,
        mailer=mailer,
        accounts=AccountService(
            database, settings, mailer, limiter, auth.fakes, auth.issue_device_credential
        ),
        auth=auth,
        sessions=SessionService(database, lifetimes),
        devices=DeviceService(database, lifetimes),
        vault=VaultService(database, settings),
        reset=ResetService(database, settings, mailer, limiter),
        recovery=RecoveryService(database, settings, mailer, limiter, auth),
        proxies=settings.trusted_proxy_networks,
        archives=ResetArchiveService(database),
    )
