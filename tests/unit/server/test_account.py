"""The account view, password change and the hint."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from tests.support.accounts import (
    TestAccount,
    create_items,
    password_change_body,
    signin,
    signin_raw,
    signup,
    sync_all,
)
from tests.support.inprocess import app_client, services_of
from tests.support.server import read_eml

from safehold import wire

API = wire.API_PREFIX




def test_account_view_shows_licence_and_counts(api: TestClient) -> None:
    account = TestAccount.new(hint="the usual")
    session = signup(api, account)
    create_items(api, session, account, [{"x": 1}])
    view = api.get(f"{API}/account", headers=session.headers()).json()
    assert view["license"] == {"plan": "free", "status": "active", "expires": None}
    assert view["item_count"] == 1 and view["generation"] == 1 and view["hint"] == "the usual"
    assert view["account_id"] == account.account_id


def test_password_change_replaces_credentials_and_revokes_other_sessions(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    ids = create_items(api, laptop, account, [{"title": "kept through the change"}])
    body = password_change_body(api, account, "a brand new password", hint="new hint")
    response = api.post(f"{API}/account/password", json=body, headers=laptop.headers())
    assert response.status_code == 200, response.text
    assert len(response.json()["M2"]) == 64
    assert api.get(f"{API}/account", headers=laptop.headers()).json()["hint"] == "new hint"
    revoked = api.get(f"{API}/account", headers=phone.headers())
    assert revoked.status_code == 401 and revoked.json()["error"]["code"] == "session_revoked"
    assert signin_raw(api, account).status_code == 401  # the old password
    account.password = "a brand new password"
    fresh = signin(api, account)
    items, _ = sync_all(api, fresh)
    assert [i["item_id"] for i in items] == ids


def test_password_change_needs_a_fresh_proof(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    body = password_change_body(api, account, "whatever else")
    body["M1"] = "00" * 32
    response = api.post(f"{API}/account/password", json=body, headers=session.headers())
    assert response.status_code == 401 and response.json()["error"]["code"] == "auth_failed"
    signin(api, account)  # unchanged


def test_password_change_rejects_another_accounts_login(api: TestClient) -> None:
    alice, mallory = TestAccount.new(), TestAccount.new()
    signup(api, alice)
    m = signup(api, mallory)
    body = password_change_body(api, alice, "stolen")
    assert api.post(f"{API}/account/password", json=body, headers=m.headers()).status_code == 401
    signin(api, alice)


def test_hint_is_mailed_and_the_answer_never_varies(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new(hint="the cat's name twice")
    signup(api, account)
    no_hint = TestAccount.new()
    signup(api, no_hint)
    answers = {
        api.post(f"{API}/hint", json={"email": email}).text
        for email in (account.email, no_hint.email, "ghost@example.test")
    }
    assert len(answers) == 1
    services_of(api).mailer.flush()
    mails = [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]
    hint_mails = [m for m in mails if m["Subject"] == "Your Safehold account hint"]
    assert len(hint_mails) == 1 and hint_mails[0]["To"] == account.email
    assert "the cat's name twice" in hint_mails[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]


def test_hint_requests_are_rate_limited(tmp_path: Path) -> None:
    with app_client(tmp_path, request_limit_per_address=2) as api:
        codes = [api.post(f"{API}/hint", json={"email": "x@example.test"}).status_code for _ in range(3)]
        assert codes == [202, 202, 429]
