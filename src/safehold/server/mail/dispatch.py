"""Keeps mail off the request path: messages are handed to one background thread that
owns an event loop for the (async) sender. ``flush`` lets tests and shutdown wait until
everything queued so far was sent; ``sync`` mode sends inside the request instead."""

from __future__ import annotations

import asyncio
import logging
import threading
from concurrent.futures import Future
from email.message import EmailMessage

from .messages import UNDELIVERABLE
from .sender import MailSender

log = logging.getLogger("safehold.server.mail")


class Mailer:
    def __init__(self, sender: MailSender, *, sync: bool = False) -> None:
        self.sender = sender
        self.sync = sync
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

    async def _deliver(self, message: EmailMessage) -> None:
        if message[UNDELIVERABLE]:
            log.warning(
                "not sending %s mail: the recipient address cannot be mailed", message["X-Safehold-Template"]
            )
            return
        try:
            await self.sender.send(message)
        except Exception as exc:  # a mail failure must never fail the request that caused it
            # Only the template name and the error type: the body may carry a reset link.
            log.warning(
                "could not send %s mail via %s: %s",
                message["X-Safehold-Template"],
                self.sender.describe(),
                type(exc).__name__,
            )

    def send(self, message: EmailMessage) -> None:
        future = asyncio.run_coroutine_threadsafe(self._deliver(message), self._ensure_loop())
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

    def close(self) -> None:
        self.flush()
        with self._lock:
            loop, thread = self._loop, self._thread
            self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(timeout=5)
            loop.close()
