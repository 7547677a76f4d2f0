"""The database-backed rate limiter."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from safehold.server.db.migrate import upgrade
from safehold.server.db.models import RateEvent, utcnow
from safehold.server.db.session import Database
from safehold.server.errors import RateLimited
from safehold.server.services import ratelimit
from safehold.server.services.ratelimit import RateLimiter


@pytest.fixture
def database(tmp_path: Path) -> Database:
    url = f"sqlite:///{tmp_path / 'db.sqlite'}"
    upgrade(url)
    return Database(url)


def test_backoff_grows_after_the_free_failures(database: Database) -> None:
    limiter = RateLimiter(b"k")
    with database.write() as db:
        limiter.record(db, ["b"] * 5)
    with database.read() as db, pytest.raises(RateLimited) as first:
        limiter.check_backoff(db, ["b"], free=5, window=900, cap=900)
    with database.write() as db:
        limiter.record(db, ["b"] * 3)
    with database.read() as db, pytest.raises(RateLimited) as later:
        limiter.check_backoff(db, ["b"], free=5, window=900, cap=900)
    assert first.value.retry_after == 1 and later.value.retry_after == 8
    with database.read() as db:
        limiter.check_backoff(db, ["other"], free=5, window=900, cap=900)


def test_budget_counts_each_request(database: Database) -> None:
    limiter = RateLimiter(b"k")
    for _ in range(2):
        with database.write() as db:
            limiter.check_budget(db, [("x", 2)], window=60)
    with database.write() as db, pytest.raises(RateLimited) as info:
        limiter.check_budget(db, [("x", 2)], window=60)
    assert 0 < info.value.retry_after <= 60


def test_address_buckets_do_not_contain_the_address() -> None:
    key = RateLimiter(b"k").address_key("reset", "alice@example.test")
    assert "alice" not in key and key.startswith("reset:")


def _buckets(database: Database) -> list[str]:
    with database.read() as db:
        return sorted(db.scalars(select(RateEvent.bucket)))


def test_recording_prunes_old_events_at_most_once_a_minute(
    database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    limiter = RateLimiter(b"k", keep_seconds=3600)
    clock = [1000.0]
    monkeypatch.setattr(ratelimit.time, "monotonic", lambda: clock[0])
    long_ago = utcnow() - timedelta(hours=2)
    with database.write() as db:
        db.add_all([RateEvent(bucket="old", at=long_ago), RateEvent(bucket="recent", at=utcnow())])
    with database.write() as db:
        limiter.record(db, ["new"])
    assert _buckets(database) == ["new", "recent"]  # "old" was past every window

    with database.write() as db:
        db.add(RateEvent(bucket="old", at=long_ago))
    clock[0] += ratelimit.PRUNE_INTERVAL / 2
    with database.write() as db:
        limiter.record(db, ["new"])
    assert "old" in _buckets(database)  # too soon to prune again
    clock[0] += ratelimit.PRUNE_INTERVAL
    with database.write() as db:
        limiter.record(db, ["new"])
    assert "old" not in _buckets(database)


def test_forget_takes_back_a_provisional_count(database: Database) -> None:
    limiter = RateLimiter(b"k")
    with database.write() as db:
        limiter.record(db, ["b"] * 4)
        provisional = limiter.record(db, ["b"])
    with database.write() as db:
        limiter.forget(db, provisional)
    with database.read() as db:
        limiter.check_backoff(db, ["b"], free=5, window=900, cap=900)  # 4 left: no wait
