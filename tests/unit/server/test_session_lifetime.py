"""Issue 12 item 6: sessions never expired. A session now ends when its device has not
been seen for the idle lifetime, and in any case at the absolute lifetime (settings); use
renews the idle one. Expiry is answered 401 ``session_revoked`` with ``reason: expired``."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.support.accounts import TestAccount, signin, signin_raw, signup
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


def test_a_session_may_ask_to_expire_sooner_when_idle(make_api: MakeApi) -> None:
    """The web vault asks for an hour (a killed tab leaves no session for 30 days); other
    sessions of the same account keep the server's lifetime."""
    with make_api(session_idle_seconds=30 * DAY, session_absolute_seconds=90 * DAY) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        tab = signin(api, account, device_name="Web browser", session_idle_seconds=3600)
        _age(api, account.account_id, created_days=0.5, seen_days=0.01)  # 15 minutes
        assert _account(api, tab.headers())[0] == 200
        _age(api, account.account_id, created_days=0.5, seen_days=0.05)  # 72 minutes
        status, body = _account(api, tab.headers())
        assert status == 401 and body["error"]["reason"] == "expired"  # type: ignore[index]
        assert _account(api, laptop.headers())[0] == 200


def test_a_session_cannot_ask_to_live_longer_than_the_server_says(make_api: MakeApi) -> None:
    with make_api(session_idle_seconds=DAY, session_absolute_seconds=90 * DAY) as api:
        account = TestAccount.new()
        signup(api, account)
        session = signin(api, account, session_idle_seconds=30 * 86_400)
        _age(api, account.account_id, created_days=2, seen_days=1.5)
        assert _account(api, session.headers())[0] == 401


def test_an_idle_lifetime_out_of_range_is_refused_plainly(make_api: MakeApi) -> None:
    with make_api() as api:
        account = TestAccount.new()
        signup(api, account)
        for value in (0, 59, -5, 10**9, "an hour", 3600.5):
            response = signin_raw(api, account, session_idle_seconds=value)
            assert response.status_code == 422, (value, response.text)
            assert response.json()["error"]["code"] == "invalid_request", response.text


def test_the_devices_list_shows_a_session_past_its_lifetime_as_signed_out(make_api: MakeApi) -> None:
    """No request has to find out first: a tab killed without signing out shows as signed
    out (``expired``) once its hour is up, while the laptop stays signed in."""
    with make_api(session_idle_seconds=30 * DAY, session_absolute_seconds=90 * DAY) as api:
        account = TestAccount.new()
        laptop = signup(api, account, device_name="laptop")
        signin(api, account, device_name="Web vault (Chrome on Linux)", session_idle_seconds=3600)

        def listed() -> dict[str, tuple[bool, str | None]]:
            # Both devices last seen `seen` days ago: the laptop's 30 days are far off.
            _age(api, account.account_id, created_days=0.5, seen_days=seen)
            response = api.get(f"{API}/devices", headers=laptop.headers())
            assert response.status_code == 200, response.text
            return {d["name"]: (d["signed_out"], d["signed_out_reason"]) for d in response.json()["devices"]}

        seen = 0.01  # 15 minutes
        assert listed()["Web vault (Chrome on Linux)"] == (False, None)
        seen = 0.05  # 72 minutes
        assert listed() == {"laptop": (False, None), "Web vault (Chrome on Linux)": (True, "expired")}
