"""Rate limits kept in the database, so every server process sees the same counts.

Two rules (spec/api.md):

* **back-off** for failed sign-ins: the first ``free`` failures in the window cost
  nothing, then each further attempt must wait ``2^(n-free)`` seconds after the last
  failure, capped. A waiting caller gets :class:`RateLimited` at once — nobody sleeps, so
  the server stays responsive while one account is under attack.
* **fixed budget** for reset, hint and sign-in start requests: at most ``limit`` per window.

Checking and counting happen in the caller's write transaction, after :meth:`RateLimiter.lock`
has taken the buckets: on PostgreSQL a transaction-scoped advisory lock per bucket, on
SQLite the database lock that ``BEGIN IMMEDIATE`` already holds. So two processes can
never both read "4 failures" and both proceed. Events older than every window are pruned
as a side effect of recording, at most once per :data:`PRUNE_INTERVAL` per process.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, text
from sqlalchemy.orm import Session

from ..client_address import rate_key
from ..db.models import RateEvent, utcnow
from ..errors import RateLimited


def _aware(value: Any) -> datetime | None:
    """min()/max() of a time column, which SQLite may hand back as naive or as text."""
    if value is None:
        return None
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    assert isinstance(value, datetime)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


#: How often (seconds, per process) recording also deletes events no window can see.
PRUNE_INTERVAL = 60.0
_ADVISORY_LOCK = text("SELECT pg_advisory_xact_lock(hashtextextended(:bucket, 0))")
#: Without a caller's say, events are kept a day: longer than any default window.
DEFAULT_KEEP_SECONDS = 86_400.0


class RateLimiter:
    def __init__(
        self,
        secret: bytes,
        *,
        keep_seconds: float = DEFAULT_KEEP_SECONDS,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self._secret = secret
        #: Where every rule reads "now": a test can hold it still, so a back-off of a second
        #: does not run out while a slow machine computes the next SRP proof.
        self.clock = clock
        #: Events older than this are useless to every rule and may be pruned.
        self.keep_seconds = keep_seconds
        self._next_prune = 0.0
        self._prune_lock = threading.Lock()

    @staticmethod
    def lock(session: Session, buckets: list[str]) -> None:
        """Serialise check-and-count on ``buckets`` until the transaction ends.

        Sorted, so two transactions taking overlapping sets cannot deadlock. SQLite needs
        nothing here: a write transaction (``BEGIN IMMEDIATE``) already excludes every other.
        """
        if session.get_bind().dialect.name != "postgresql":
            return
        for bucket in sorted(set(buckets)):
            session.execute(_ADVISORY_LOCK, {"bucket": bucket})

    @staticmethod
    def client_key(kind: str, client_ip: str) -> str:
        """A bucket per client: per address, per /64 for IPv6 (client_address.rate_key)."""
        return f"{kind}:{rate_key(client_ip)}"

    def address_key(self, kind: str, email: str) -> str:
        """A bucket for an email address that does not store the address: the table then
        says nothing about which addresses were tried."""
        digest = hmac.new(self._secret, email.encode("utf-8"), hashlib.sha256).hexdigest()[:40]
        return f"{kind}:{digest}"

    @staticmethod
    def _window(session: Session, bucket: str, since: datetime) -> tuple[int, datetime | None]:
        count, last = session.execute(
            select(func.count(RateEvent.id), func.max(RateEvent.at)).where(
                RateEvent.bucket == bucket, RateEvent.at > since
            )
        ).one()
        return int(count), _aware(last)

    def check_backoff(
        self, session: Session, buckets: list[str], *, free: int, window: float, cap: float
    ) -> None:
        now = self.clock()
        since = now - timedelta(seconds=window)
        wait = 0.0
        for bucket in buckets:
            count, last = self._window(session, bucket, since)
            if count >= free and last is not None:
                delay = min(cap, 2.0 ** (count - free))
                wait = max(wait, (last + timedelta(seconds=delay) - now).total_seconds())
        if wait > 0:
            raise RateLimited(wait)

    def check_budget(self, session: Session, buckets: list[tuple[str, int]], *, window: float) -> None:
        """Raise if any bucket has used its ``limit``; otherwise count this request."""
        self.lock(session, [bucket for bucket, _ in buckets])
        now = self.clock()
        since = now - timedelta(seconds=window)
        wait = 0.0
        for bucket, limit in buckets:
            count, _ = self._window(session, bucket, since)
            if count >= limit:
                oldest = session.scalar(
                    select(func.min(RateEvent.at)).where(RateEvent.bucket == bucket, RateEvent.at > since)
                )
                oldest_at = _aware(oldest)
                retry = (oldest_at + timedelta(seconds=window) - now).total_seconds() if oldest_at else window
                wait = max(wait, retry)
        if wait > 0:
            raise RateLimited(wait)
        self.record(session, [bucket for bucket, _ in buckets])

    def record(self, session: Session, buckets: list[str]) -> list[int]:
        """Count one event in each bucket; return the new rows' ids (see :meth:`forget`)."""
        now = self.clock()
        events = [RateEvent(bucket=bucket, at=now) for bucket in buckets]
        session.add_all(events)
        session.flush()
        self._maybe_prune(session)
        return [event.id for event in events]

    @staticmethod
    def forget(session: Session, event_ids: list[int]) -> None:
        """Take back events recorded provisionally (a sign-in that turned out right)."""
        if event_ids:
            session.execute(delete(RateEvent).where(RateEvent.id.in_(event_ids)))

    @staticmethod
    def clear(session: Session, buckets: list[str]) -> None:
        session.execute(delete(RateEvent).where(RateEvent.bucket.in_(buckets)))

    def _maybe_prune(self, session: Session) -> None:
        with self._prune_lock:
            now = time.monotonic()
            if now < self._next_prune:
                return
            self._next_prune = now + PRUNE_INTERVAL
        self.prune(session, self.keep_seconds)

    def prune(self, session: Session, older_than: float) -> None:
        cutoff = self.clock() - timedelta(seconds=older_than)
        session.execute(delete(RateEvent).where(RateEvent.at < cutoff))
