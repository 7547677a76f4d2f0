"""Issue 12 item 6, client side: an expired session is renewed by the password without
fuss (unlock signs in again), and without the password the client says clearly that it
must sign in again (SessionExpired, exit 31)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from safehold.client.account import AccountService
from safehold.client.errors import ExitCode, SessionExpired
from safehold.server.db.models import Device, Session, utcnow

EMAIL = "ann@example.com"
PW = "correct horse battery"


def _expire_sessions(tmp_path: Path) -> None:
    """Make every session of the in-process server 100 days old (past both lifetimes)."""
    engine = create_engine(f"sqlite:///{tmp_path / 'server' / 'safehold.db'}")
    long_ago = utcnow() - timedelta(days=100)
    with engine.begin() as db:
        db.execute(update(Session).values(created_at=long_ago))
        db.execute(update(Device).values(last_seen_at=long_ago))
    engine.dispose()


def test_an_expired_session_is_renewed_by_unlock_and_named_without_a_password(
    tmp_path: Path, make_service: Callable[[str], AccountService]
) -> None:
    service = make_service("a")
    unlocked, _ = service.signup(EMAIL, PW)
    old_token = unlocked.token
    vk = unlocked.vk
    account_id = unlocked.account_id
    unlocked.close()
    _expire_sessions(tmp_path)

    # Keys kept by the agent, no password: the command says what to do, with its own code.
    resumed = service.resume(account_id, vk, old_token)
    with pytest.raises(SessionExpired) as expired:
        resumed.sync()
    resumed.close()
    assert expired.value.exit_code == ExitCode.SESSION_EXPIRED == 31
    assert "expired" in expired.value.message and "unlock" in (expired.value.hint or "")

    # With the password, unlock signs in again by itself: a new session, and it works.
    again = service.unlock(PW)
    try:
        assert again.token and again.token != old_token
        again.sync()
    finally:
        again.close()
