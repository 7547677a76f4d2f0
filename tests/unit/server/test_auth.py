"""Sign-up and SRP sign-in, in-process."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, new_device_id, prove, signin, signin_raw, signup, signup_body

from safehold import wire

API = wire.API_PREFIX


def test_signup_then_signin_returns_keyset_and_generation(api: TestClient) -> None:
    account = TestAccount.new()
    first = signup(api, account)
    assert first.generation == 1
    session = signin(api, account)  # checks M2 and opens the keyset
    assert session.generation == 1
    assert api.get(f"{API}/account", headers=session.headers()).json()["email"] == account.email


def test_email_is_unique_case_insensitively(api: TestClient) -> None:
    account = TestAccount.new(email="Alice@Example.TEST")
    signup(api, account)
    other = TestAccount.new(email="  alice@example.test ")
    response = api.post(f"{API}/accounts", json=signup_body(other))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "email_taken"


def test_signin_normalises_the_email(api: TestClient) -> None:
    account = TestAccount.new(email="bob@example.test")
    signup(api, account)
    account.email = "BOB@example.test"
    signin(api, account)


def test_wrong_password_and_unknown_email_fail_alike(api: TestClient) -> None:
    account = TestAccount.new()
    signup(api, account)
    wrong = signin_raw(api, account, password="not the password")
    unknown = signin_raw(api, TestAccount.new())
    assert wrong.status_code == unknown.status_code == 401
    assert (
        wrong.json()
        == unknown.json()
        == {"error": {"code": "auth_failed", "message": "email or password incorrect"}}
    )


def test_unknown_email_start_is_stable_and_shaped_like_a_real_one(api: TestClient) -> None:
    real = TestAccount.new()
    signup(api, real)
    ghost = "nobody@example.test"
    a = api.post(f"{API}/auth/start", json={"email": ghost}).json()
    b = api.post(f"{API}/auth/start", json={"email": ghost.upper()}).json()
    r = api.post(f"{API}/auth/start", json={"email": real.email}).json()
    assert a.keys() == r.keys()
    assert a["account_id"] == b["account_id"] and a["kdf_salt"] == b["kdf_salt"]
    assert a["B"] != b["B"] and a["login_id"] != b["login_id"]
    assert len(a["account_id"]) == len(r["account_id"]) == 32
    assert len(a["kdf_salt"]) == len(r["kdf_salt"])
    assert a["account_id"][12] == "4"  # UUIDv4-shaped, like a real account_id


def test_login_id_is_single_use(api: TestClient) -> None:
    account = TestAccount.new()
    signup(api, account)
    proof = prove(api, account)
    body = {
        "login_id": proof.login_id,
        "A": proof.A,
        "M1": proof.M1,
        "device_id": new_device_id(),
        "device_name": "x",
    }
    assert api.post(f"{API}/auth/finish", json=body).status_code == 200
    again = api.post(f"{API}/auth/finish", json=body)
    assert again.status_code == 401
    assert again.json()["error"]["code"] == "auth_failed"


def test_failed_signins_back_off_after_five(api: TestClient) -> None:
    account = TestAccount.new()
    signup(api, account)
    statuses = [signin_raw(api, account, password=f"wrong {i}").status_code for i in range(6)]
    assert statuses[:5] == [401] * 5
    assert statuses[5] == 429
    limited = signin_raw(api, account)  # even the right password waits
    assert limited.status_code == 429
    body = limited.json()["error"]
    assert body["code"] == "too_many_requests" and body["retry_after"] >= 1
    assert int(limited.headers["Retry-After"]) >= 1


def test_other_accounts_are_not_slowed_by_an_attack(api: TestClient) -> None:
    victim, bystander = TestAccount.new(), TestAccount.new()
    signup(api, victim)
    signup(api, bystander)
    for i in range(4):
        signin_raw(api, victim, password=f"guess {i}")
    signin(api, bystander)


def test_new_device_gets_a_notice_mail_but_known_device_does_not(api: TestClient, tmp_path) -> None:  # type: ignore[no-untyped-def]
    account = TestAccount.new()
    signup(api, account)
    device = new_device_id()
    signin(api, account, device_id=device, device_name="Work phone")
    signin(api, account, device_id=device, device_name="Work phone")
    mails = sorted((tmp_path / "outbox").glob("*.eml"))
    assert len(mails) == 1
    text = mails[0].read_text()
    assert "New sign-in to your Safehold account" in text
    assert "Work phone" in text and "testclient" in text


def test_logout_ends_the_session(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    assert api.post(f"{API}/auth/logout", headers=session.headers()).status_code == 204
    after = api.get(f"{API}/account", headers=session.headers())
    assert after.status_code == 401


def test_no_or_forged_token_is_unauthenticated(api: TestClient) -> None:
    assert api.get(f"{API}/account").json()["error"]["code"] == "unauthenticated"
    forged = api.get(f"{API}/account", headers={"Authorization": "Bearer " + "A" * 43})
    assert forged.status_code == 401
    assert forged.json()["error"]["code"] == "unauthenticated"
