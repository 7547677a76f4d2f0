"""Keeps mail off the request path: messages are handed to one background thread that
owns an event loop for the (async) sender. ``flush`` lets tests and shutdown wait until
everything queued so far was sent; ``sync`` mode sends inside the request instead.

A temporary failure (the relay cannot be reached, drops the connection, times out, or
answers 4xx) is tried again after each of :data:`RETRY_DELAYS`; a permanent one (5xx,
a refused login, a certificate that does not check out) is not, since trying again
cannot help. ``sync`` mode tries once: a request must not wait minutes for a relay.
Retries live in memory: a message still waiting when the server stops is lost (and the
log says how many were)."""

from __future__ import annotations

import asyncio
import logging
import ssl
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from email.message import EmailMessage

import aiosmtplib

from .messages import UNDELIVERABLE
from .sender import MailSender

log = logging.getLogger("safehold.server.mail")

#: Seconds to wait before each further attempt after a temporary failure.
RETRY_DELAYS: tuple[float, ...] = (5.0, 30.0, 120.0, 600.0)
#: How long stopping the server waits for mail still being sent or retried.
CLOSE_TIMEOUT = 10.0


def is_temporary(exc: BaseException) -> bool:
    """Whether trying again later may deliver: RFC 5321's 4xx, or no answer at all."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        return all(400 <= refusal.code < 500 for refusal in exc.recipients)
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError | ssl.SSLCertVerificationError):
        return False
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return 400 <= exc.code < 500
    return isinstance(exc, aiosmtplib.SMTPException | OSError | asyncio.TimeoutError)


class Mailer:
    def __init__(
        self, sender: MailSender, *, sync: bool = False, retry_delays: Sequence[float] = RETRY_DELAYS
    ) -> None:
        self.sender = sender
        self.sync = sync
        self.retry_delays = tuple(retry_delays)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._pending: set[Future[None]] = set()
        self._lock = threading.Lock()

    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        with self._lock:
            if self._loop is None:
                loop = asyncio.new_event_loop()
                thread = threading.Thread(target=loop.run_forever, name="safehold-mail", daemon=True)
                thread.start()
                self._loop, self._thread = loop, thread
            return self._loop

    async def _deliver(self, message: EmailMessage, on_sent: Callable[[], None] | None) -> None:
        if await self._attempts(message) and on_sent is not None:
            try:
                on_sent()
            except Exception as exc:  # the mail went out; a failed note of it must not escape
                template = message["X-Safehold-Template"]
                log.warning("sent %s mail, but could not record it: %s", template, type(exc).__name__)

    async def _attempts(self, message: EmailMessage) -> bool:
        """Send ``message``, trying again after temporary failures; whether it went out."""
        if message[UNDELIVERABLE]:
            log.warning(
                "not sending %s mail: the recipient address cannot be mailed", message["X-Safehold-Template"]
            )
            return False
        delays = () if self.sync else self.retry_delays
        for attempt in range(len(delays) + 1):
            try:
                await self.sender.send(message)
                if attempt:
                    log.info("sent %s mail at attempt %d", message["X-Safehold-Template"], attempt + 1)
                return True
            except Exception as exc:  # a mail failure must never fail the request that caused it
                again = attempt < len(delays) and is_temporary(exc)
                # Only the template name and the error type: the body may carry a reset link.
                log.warning(
                    "could not send %s mail via %s: %s%s",
                    message["X-Safehold-Template"],
                    self.sender.describe(),
                    type(exc).__name__,
                    f"; trying again in {delays[attempt]:g} s" if again else "",
                )
                if not again:
                    return False
                await asyncio.sleep(delays[attempt])
        return False

    def send(self, message: EmailMessage, *, on_sent: Callable[[], None] | None = None) -> None:
        """Queue ``message``; ``on_sent`` runs (in the mail thread) once the relay took it."""
        future = asyncio.run_coroutine_threadsafe(self._deliver(message, on_sent), self._ensure_loop())
        if self.sync:
            future.result()
            return
        with self._lock:
            self._pending.add(future)
        future.add_done_callback(self._forget)

    def _forget(self, future: Future[None]) -> None:
        with self._lock:
            self._pending.discard(future)

    def flush(self, timeout: float = 30.0) -> None:
        """Wait until every message queued so far has been handled."""
        with self._lock:
            pending = list(self._pending)
        for future in pending:
            future.result(timeout=timeout)

    def close(self, timeout: float = CLOSE_TIMEOUT) -> None:
        try:
            self.flush(timeout)
        except FutureTimeout:
            with self._lock:
                waiting = list(self._pending)
            for future in waiting:
                future.cancel()
            log.warning("stopping with %d mail(s) not sent (the relay kept failing): lost", len(waiting))
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
