"""Sign-up and SRP sign-in, in-process."""

from __future__ import annotations

import builtins
import threading
from collections import Counter
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import (
    Proof,
    TestAccount,
    new_device_id,
    password_change_body,
    prove,
    signin,
    signin_raw,
    signup,
    signup_body,
)
from tests.support.inprocess import MakeApi, services_of

from safehold import wire
from safehold.crypto import GROUP_3072, _srp
from safehold.server.db.models import utcnow

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


def _hold_the_clock(api: TestClient) -> None:
    """Stop the rate limiter's clock: the first back-off lasts one second, which a loaded
    machine can spend computing the next SRP proof, so a test that counts 401s and 429s must
    not depend on how fast it runs."""
    frozen = utcnow()
    services_of(api).auth.limiter.clock = lambda: frozen


def test_failed_signins_back_off_after_five(api: TestClient) -> None:
    _hold_the_clock(api)
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
    _hold_the_clock(api)
    victim, bystander = TestAccount.new(), TestAccount.new()
    signup(api, victim)
    signup(api, bystander)
    statuses = [signin_raw(api, victim, password=f"guess {i}").status_code for i in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]  # the attack is being slowed
    # Elsewhere (another client address), the victim's account stays locked, the
    # bystander's does not.
    elsewhere = TestClient(api.app, client=("198.51.100.7", 40000))
    assert signin_raw(elsewhere, victim).status_code == 429
    session = signin(elsewhere, bystander)
    assert elsewhere.get(f"{API}/account", headers=session.headers()).status_code == 200


def test_a_right_password_is_not_counted_as_a_failure(api: TestClient) -> None:
    _hold_the_clock(api)
    account = TestAccount.new()
    signup(api, account)
    for i in range(4):
        assert signin_raw(api, account, password=f"wrong {i}").status_code == 401
    for _ in range(3):
        signin(api, account)  # each counted on the way in, then taken back
    assert signin_raw(api, account, password="wrong 5").status_code == 401
    assert signin_raw(api, account, password="wrong 6").status_code == 429


def test_parallel_wrong_guesses_cannot_beat_the_back_off(api: TestClient) -> None:
    """Every finish is checked and counted in one locked transaction: of many guesses sent
    at once, only the free five are verified (401); every other one waits (429)."""
    account = TestAccount.new()
    signup(api, account)
    guesses = 16
    proofs = [prove(api, account, password=f"parallel {i}") for i in range(guesses)]
    # A frozen clock keeps the 1-second back-off from running out while the threads queue.
    _hold_the_clock(api)
    barrier = threading.Barrier(guesses)

    def finish(proof: Proof) -> int:
        body = {"login_id": proof.login_id, "A": proof.A, "M1": proof.M1}
        barrier.wait()
        response = api.post(
            f"{API}/auth/finish", json={**body, "device_id": new_device_id(), "device_name": "x"}
        )
        return response.status_code

    with ThreadPoolExecutor(guesses) as pool:
        statuses = Counter(pool.map(finish, proofs))
    assert statuses == {401: 5, 429: guesses - 5}


def test_auth_start_is_limited_per_client_address(make_api: MakeApi) -> None:
    with make_api(start_limit_per_client=3, start_limit_window_seconds=600) as api:
        email = {"email": "someone@example.test"}
        assert [api.post(f"{API}/auth/start", json=email).status_code for _ in range(3)] == [200] * 3
        limited = api.post(f"{API}/auth/start", json=email)
        assert limited.status_code == 429
        error = limited.json()["error"]
        assert error["code"] == "too_many_requests" and 1 <= error["retry_after"] <= 600
        assert int(limited.headers["Retry-After"]) >= 1
        other = TestClient(api.app, client=("198.51.100.8", 40000))
        assert other.post(f"{API}/auth/start", json=email).status_code == 200


def _count_modexps(monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the three-argument pow() calls the SRP code makes (not a timing measurement)."""
    calls: Counter[str] = Counter()

    def counting_pow(base: int, exp: int, mod: int | None = None) -> int:
        if mod is not None:
            calls["modexp"] += 1
        return builtins.pow(base, exp, mod)

    monkeypatch.setattr(_srp, "pow", counting_pow, raising=False)
    return calls


def test_unknown_email_costs_the_same_exponentiations_as_a_real_one(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = TestAccount.new()
    signup(api, real)
    ghost = TestAccount.new()
    real_proof, ghost_proof = prove(api, real, password="wrong"), prove(api, ghost)
    calls = _count_modexps(monkeypatch)

    def cost(send: Callable[[], object]) -> int:
        calls.clear()
        send()
        return calls["modexp"]

    start_real = cost(lambda: api.post(f"{API}/auth/start", json={"email": real.email}))
    start_ghost = cost(lambda: api.post(f"{API}/auth/start", json={"email": ghost.email}))
    assert start_real == start_ghost >= 1

    def finish(proof: Proof) -> Callable[[], object]:
        body = {"login_id": proof.login_id, "A": proof.A, "M1": proof.M1, "device_id": new_device_id()}
        return lambda: api.post(f"{API}/auth/finish", json={**body, "device_name": "x"})

    assert cost(finish(real_proof)) == cost(finish(ghost_proof)) >= 1


def test_the_fake_verifier_is_stable_and_in_range(api: TestClient) -> None:
    auth = services_of(api).auth
    _, salt_a, v_a = auth._fake("ghost@example.test")
    _, salt_b, v_b = auth._fake("ghost@example.test")
    _, _, v_other = auth._fake("other@example.test")
    assert (salt_a, v_a) == (salt_b, v_b) and v_a != v_other
    assert 1 < v_a < GROUP_3072.N and 1 < v_other < GROUP_3072.N


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


def test_every_session_route_refuses_a_request_without_a_session(api: TestClient) -> None:
    # Each route checks the session itself, first thing (routes/deps.py, Caller): none may
    # answer, or act, for a request that carries no session or a forged one.
    account = TestAccount.new()
    signup(api, account)
    item = "0" * 32
    requests: list[tuple[str, str, dict[str, object] | None]] = [
        ("GET", "/account", None),
        ("POST", "/account/password", password_change_body(api, account, "another password 9")),
        ("POST", "/auth/logout", None),
        ("GET", "/devices", None),
        ("DELETE", f"/devices/{item}", None),
        ("GET", "/vault/changes", None),
        ("POST", "/vault/push", {"writes": [{"item_id": item, "base_revision": 0, "envelope": "e30"}]}),
        ("GET", f"/vault/items/{item}", None),
        ("PUT", f"/vault/items/{item}", {"base_revision": 0, "envelope": "e30"}),
    ]
    for authorization in (None, "Bearer " + "A" * 43):
        headers = {"Safehold-Generation": "1"} | ({"Authorization": authorization} if authorization else {})
        for method, path, body in requests:
            answer = api.request(method, f"{API}{path}", json=body, headers=headers)
            assert answer.status_code == 401, (method, path, answer.text)
            assert answer.json()["error"]["code"] == "unauthenticated"
