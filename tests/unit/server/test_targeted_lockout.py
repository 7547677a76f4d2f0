"""Issue 12 item 3: a stranger's wrong proofs for someone's email kept the account's back-off
engaged, so the owner could be kept out (27 of 28 correct sign-ins refused). A device that
signed in before shows its device credential and is not locked out by failures from
elsewhere, while guessing (with or without a credential) stays limited. Forwarded headers
are believed only from listed proxies, and IPv6 callers are counted per /64."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.accounts import (
    TestAccount,
    new_device_id,
    password_change_body,
    prove,
    signin,
    signup,
)
from tests.support.inprocess import MakeApi, services_of
from tests.support.server import run_server

from safehold import wire
from safehold.server.client_address import client_address, parse_trusted_proxies, rate_key
from safehold.server.db.models import RateEvent

API = wire.API_PREFIX


def finish(http: httpx.Client, account: TestAccount, *, password: str | None = None,
           credential: str | None = None) -> httpx.Response:  # fmt: skip
    proof = prove(http, account, password)
    body: dict[str, Any] = {
        "login_id": proof.login_id, "A": proof.A, "M1": proof.M1,
        "device_id": new_device_id(), "device_name": "laptop",
    }  # fmt: skip
    if credential is not None:
        body["device_credential"] = credential
    return http.post(f"{API}/auth/finish", json=body)


def _stranger(api: TestClient, n: int) -> TestClient:
    return TestClient(api.app, client=(f"198.51.100.{n % 250 + 1}", 40000))


def test_a_stranger_cannot_keep_the_owner_out(api: TestClient) -> None:
    owner = TestAccount.new()
    signup(api, owner)
    first = finish(api, owner)
    assert first.status_code == 200, first.text
    credential = first.json()["device_credential"]
    assert credential
    refused = 0
    for attempt in range(28):
        # A stranger, from ever new addresses, guesses between the owner's sign-ins.
        finish(_stranger(api, attempt), owner, password=f"guess {attempt}")
        answer = finish(api, owner, credential=credential)
        refused += answer.status_code != 200
        credential = answer.json().get("device_credential", credential)
    assert refused == 0
    # Without a credential (a new device, or the stranger) the account's back-off holds.
    # (More failures planted first, so the wait outlasts a slow machine: no timing here.)
    _plant(api, f"login-account:{owner.account_id}")
    assert finish(_stranger(api, 99), owner).status_code == 429
    assert finish(api, owner, credential=credential).status_code == 200


def _events(api: TestClient, bucket: str) -> int:
    services = services_of(api)
    with services.database.read() as db:
        return len(db.scalars(select(RateEvent.id).where(RateEvent.bucket == bucket)).all())


def _plant(api: TestClient, bucket: str) -> None:
    """Enough failures that the wait outlasts a slow machine (the tests assert no times)."""
    services = services_of(api)
    with services.database.write() as db:
        services.auth.limiter.record(db, [bucket] * 20)


def test_guessing_with_a_credential_is_limited_too(api: TestClient) -> None:
    owner = TestAccount.new()
    signup(api, owner)
    credential = finish(api, owner).json()["device_credential"]
    bucket = services_of(api).auth.device_bucket(owner.account_id, credential)
    assert bucket is not None
    statuses = [finish(_stranger(api, i), owner, password=f"g{i}", credential=credential).status_code
                for i in range(5)]  # fmt: skip
    assert statuses == [401] * 5
    # Counted against the credential (and only it): whoever holds it is slowed.
    assert _events(api, bucket) == 5 and _events(api, f"login-account:{owner.account_id}") == 0
    _plant(api, bucket)
    assert finish(api, owner, credential=credential).status_code == 429
    assert finish(_stranger(api, 7), owner).status_code == 200  # the account itself is not locked


def test_a_credential_of_another_account_or_forged_exempts_nothing(api: TestClient) -> None:
    owner, other = TestAccount.new(), TestAccount.new()
    signup(api, owner)
    signup(api, other)
    theirs = finish(api, other).json()["device_credential"]
    forged = theirs[:-4] + ("AAAA" if not theirs.endswith("AAAA") else "BBBB")
    _plant(api, f"login-account:{owner.account_id}")
    assert finish(api, owner, credential=theirs).status_code == 429
    assert finish(api, owner, credential=forged).status_code == 429


def test_strangers_failures_do_not_block_the_owners_password_change(api: TestClient) -> None:
    owner = TestAccount.new()
    signup(api, owner)
    session = signin(api, owner)
    for i in range(8):
        finish(_stranger(api, i), owner, password=f"g{i}")
    new_password = "a whole new password"
    response = api.post(
        f"{API}/account/password", json=password_change_body(api, owner, new_password),
        headers=session.headers(),
    )  # fmt: skip
    assert response.status_code == 200, response.text


# --- forwarded headers and IPv6 ------------------------------------------------------------


def test_forwarded_for_is_ignored_unless_the_peer_is_a_listed_proxy() -> None:
    none = parse_trusted_proxies("")
    assert client_address("127.0.0.1", ["203.0.113.9"], none) == "127.0.0.1"
    proxies = parse_trusted_proxies("127.0.0.1, 10.0.0.0/8")
    assert client_address("127.0.0.1", ["203.0.113.9"], proxies) == "203.0.113.9"
    # Right to left, skipping listed proxies; what the client wrote further left is ignored.
    assert client_address("127.0.0.1", ["1.1.1.1, 203.0.113.9, 10.0.0.5"], proxies) == "203.0.113.9"
    assert client_address("127.0.0.1", ["garbage, 10.0.0.5"], proxies) == "10.0.0.5"
    assert client_address("192.0.2.1", ["203.0.113.9"], proxies) == "192.0.2.1"
    with pytest.raises(ValueError, match="not an address"):
        parse_trusted_proxies("127.0.0.1, proxy.local")


def test_ipv6_callers_are_counted_per_64() -> None:
    assert rate_key("2001:db8:1:2::1") == rate_key("2001:db8:1:2:ffff::9") == "2001:db8:1:2::/64"
    assert rate_key("2001:db8:1:3::1") != rate_key("2001:db8:1:2::1")
    assert rate_key("::ffff:192.0.2.7") == "192.0.2.7" and rate_key("192.0.2.7") == "192.0.2.7"


def test_a_fresh_ipv6_address_per_request_gains_nothing(make_api: MakeApi) -> None:
    with make_api(start_limit_per_client=3, start_limit_window_seconds=600) as api:
        email = {"email": "someone@example.test"}
        codes = [
            TestClient(api.app, client=(f"2001:db8:7:7::{i + 1:x}", 40000)).post(
                f"{API}/auth/start", json=email).status_code
            for i in range(4)
        ]  # fmt: skip
        assert codes == [200, 200, 200, 429]


def test_forwarded_for_from_a_listed_proxy_is_believed_in_the_app(make_api: MakeApi) -> None:
    limits = {"start_limit_per_client": 2, "start_limit_window_seconds": 600}
    with make_api(trusted_proxies="10.0.0.1", **limits) as api:
        proxy = TestClient(api.app, client=("10.0.0.1", 40000))
        email = {"email": "someone@example.test"}

        def start(caller: str) -> int:
            forwarded = {"X-Forwarded-For": caller}
            return proxy.post(f"{API}/auth/start", json=email, headers=forwarded).status_code

        assert [start("203.0.113.1") for _ in range(3)] == [200, 200, 429]
        assert start("203.0.113.2") == 200  # another caller behind the same proxy


def test_a_bad_trusted_proxies_setting_is_refused() -> None:
    from pydantic import ValidationError

    from safehold.server.settings import Settings

    with pytest.raises(ValidationError, match="not an address"):
        Settings(trusted_proxies="proxy.local")


@pytest.mark.slow
def test_the_real_server_ignores_forwarded_for_from_localhost(tmp_path: Path) -> None:
    """The attack of the review, on the real server: a local client names a fresh address
    per request in X-Forwarded-For. uvicorn believed it from 127.0.0.1 by default."""
    with run_server(tmp_path, extra_env={"SAFEHOLD_START_LIMIT_PER_CLIENT": "3"}) as server:
        codes = [
            httpx.post(f"{server.base_url}{API}/auth/start", json={"email": "x@example.test"},
                       headers={"X-Forwarded-For": f"203.0.113.{i + 1}"}, timeout=30).status_code
            for i in range(4)
        ]  # fmt: skip
    assert codes == [200, 200, 200, 429]
