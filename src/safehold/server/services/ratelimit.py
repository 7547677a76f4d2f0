"""Rate limits kept in the database, so every server process sees the same counts.

Two rules (spec/api.md):

* **back-off** for failed sign-ins: the first ``free`` failures in the window cost
  nothing, then each further attempt must wait ``2^(n-free)`` seconds after the last
  failure, capped. A waiting caller gets :class:`RateLimited` at once — nobody sleeps, so
  the server stays responsive while one account is under attack.
* **fixed budget** for reset and hint requests: at most ``limit`` per window.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

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


class RateLimiter:
    def __init__(self, secret: bytes) -> None:
        self._secret = secret

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
        now = utcnow()
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
        now = utcnow()
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

    @staticmethod
    def record(session: Session, buckets: list[str]) -> None:
        now = utcnow()
        for bucket in buckets:
            session.add(RateEvent(bucket=bucket, at=now))

    @staticmethod
    def clear(session: Session, buckets: list[str]) -> None:
        session.execute(delete(RateEvent).where(RateEvent.bucket.in_(buckets)))

    @staticmethod
    def prune(session: Session, older_than: float) -> None:
        cutoff = utcnow() - timedelta(seconds=older_than)
        session.execute(delete(RateEvent).where(RateEvent.at < cutoff))
