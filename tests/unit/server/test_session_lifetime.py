"""Issue 12 item 6: sessions never expired. A session now ends when its device has not
been seen for the idle lifetime, and in any case at the absolute lifetime (settings); use
renews the idle one. Expiry is answered 401 ``session_revoked`` with ``reason: expired``."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.support.accounts import TestAccount, signup
from tests.support.inprocess import MakeApi, services_of

from safehold import wire
from safehold.server.db.models import Device, Session, utcnow

API = wire.API_PREFIX
DAY = 86_400.0


def _age(api: TestClient, account_id: str, *, created_days: float, seen_days: float | None) -> None:
    """Move the account's sessions and devices back in time (stands in for waiting)."""
    now = utcnow()
    services = services_of(api)
    with services.database.write() as db:
        db.execute(update(Session).where(Session.account_id == account_id)
                   .values(created_at=now - timedelta(days=created_days)))  # fmt: skip
        seen = None if seen_days is None else now - timedelta(days=seen_days)
        db.execute(update(Device).where(Device.account_id == account_id).values(last_seen_at=seen))


def _account(api: TestClient, headers: dict[str, str]) -> tuple[int, dict[str, object]]:
    response = api.get(f"{API}/account", headers=headers)
    return response.status_code, response.json()


def test_an_idle_session_expires(make_api: MakeApi) -> None:
    with make_api(session_idle_seconds=30 * DAY, session_absolute_seconds=90 * DAY) as api:
        account = TestAccount.new()
        session = signup(api, account)
        assert _account(api, session.headers())[0] == 200
        _age(api, account.account_id, created_days=31, seen_days=31)
        status, body = _account(api, session.headers())
        assert status == 401
        error = body["error"]
        assert isinstance(error, dict)
        assert error["code"] == "session_revoked" and error["reason"] == "expired"


def test_use_renews_the_idle_lifetime_but_not_the_absolute_one(make_api: MakeApi) -> None:
    with make_api(session_idle_seconds=30 * DAY, session_absolute_seconds=90 * DAY) as api:
        account = TestAccount.new()
        session = signup(api, account)
        _age(api, account.account_id, created_days=60, seen_days=1)  # in use all along
        assert _account(api, session.headers())[0] == 200
        _age(api, account.account_id, created_days=91, seen_days=0)
        status, body = _account(api, session.headers())
        assert status == 401 and body["error"]["reason"] == "expired"  # type: ignore[index]


def test_the_lifetimes_are_settings(make_api: MakeApi) -> None:
    with make_api(session_idle_seconds=DAY, session_absolute_seconds=2 * DAY) as api:
        account = TestAccount.new()
        session = signup(api, account)
        _age(api, account.account_id, created_days=1.5, seen_days=0.5)
        assert _account(api, session.headers())[0] == 200
        _age(api, account.account_id, created_days=1.5, seen_days=1.2)
        assert _account(api, session.headers())[0] == 401
