"""Where messages go: an SMTP server, or ``.eml`` files in an outbox folder.

The outbox is a development aid. Its files hold live reset links, so they are 0600 in a
0700 folder, and the log names only the file: a log line must never carry a token (a
reset link is one), even in development.
"""

from __future__ import annotations

import logging
import ssl
import uuid
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import aiosmtplib

from ..settings import Settings

log = logging.getLogger("safehold.server.mail")


class MailSender(ABC):
    @abstractmethod
    async def send(self, message: EmailMessage) -> None:
        """Deliver one message; raise on failure."""

    def describe(self) -> str:
        return type(self).__name__


class SmtpSender(MailSender):
    def __init__(
        self,
        host: str,
        port: int,
        *,
        security: str = "starttls",
        user: str | None = None,
        password: str | None = None,
        timeout: float = 30.0,
        ca_file: Path | None = None,
        verify: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.security = security
        self.user = user
        self._password = password
        self.timeout = timeout
        self.ca_file = ca_file
        self.verify = verify

    def tls_context(self) -> ssl.SSLContext:
        """The system's trust store, plus ``ca_file``; no checks at all if ``verify`` is off."""
        context = ssl.create_default_context()
        if self.ca_file is not None:
            context.load_verify_locations(cafile=str(self.ca_file))
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    async def send(self, message: EmailMessage) -> None:
        await aiosmtplib.send(
            message,
            hostname=self.host,
            port=self.port,
            username=self.user,
            password=self._password,
            use_tls=self.security == "tls",
            # False, not None: "none" must never upgrade on its own, and "starttls" must
            # fail rather than send in clear text when the server does not offer it.
            start_tls=self.security == "starttls",
            tls_context=self.tls_context() if self.security != "none" else None,
            timeout=self.timeout,
        )

    def describe(self) -> str:
        return f"SMTP {self.host}:{self.port} ({self.security})"


class OutboxSender(MailSender):
    def __init__(self, folder: Path) -> None:
        self.folder = folder

    async def send(self, message: EmailMessage) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%f")
        name = f"{stamp}-{uuid.uuid4().hex[:8]}.eml"
        partial = self.folder / f".{name}.tmp"
        partial.write_bytes(bytes(message))
        # The rename makes a half-written file invisible to readers of the folder.
        partial.replace(self.folder / name)
        log.info(
            "mail written to outbox: %s (subject %r); open the file for its links",
            self.folder / name,
            message["Subject"],
        )

    def describe(self) -> str:
        return f"outbox {self.folder}"


def sender_from_settings(settings: Settings) -> MailSender:
    if settings.smtp_host:
        return SmtpSender(
            settings.smtp_host,
            settings.smtp_port,
            security=settings.smtp_security,
            user=settings.smtp_user,
            password=settings.smtp_password.get_secret_value() if settings.smtp_password else None,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
            verify=settings.smtp_verify,
        )
    return OutboxSender(settings.outbox_dir)
