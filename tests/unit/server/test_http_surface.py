"""The HTTP surface (issue "hardening" item 7): no third-party scripts on the pages' origin,
no redirects built from the Host header, nothing cacheable that carries a token or a key,
HSTS behind https, and no 500 from the HTML forms on either database."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, signup
from tests.support.inprocess import MakeApi

from safehold import wire

API = wire.API_PREFIX


@pytest.mark.parametrize("path", ["/docs", "/redoc"])
def test_api_docs_are_off_by_default(api: TestClient, path: str) -> None:
    assert api.get(path).status_code == 404


def test_api_docs_can_be_turned_on(make_api: MakeApi) -> None:
    with make_api(api_docs=True) as api:
        assert api.get("/docs").status_code == 200


def test_no_redirect_is_built_from_the_host_header(api: TestClient) -> None:
    response = api.get("/healthz/", headers={"Host": "evil.example"}, follow_redirects=False)
    assert response.status_code == 404
    assert "location" not in response.headers


def test_answers_with_tokens_and_keys_are_not_stored(api: TestClient) -> None:
    account = TestAccount.new()
    response = api.post(f"{API}/auth/start", json={"email": account.email})
    assert response.headers["cache-control"] == "no-store"
    session = signup(api, account)
    response = api.get(f"{API}/vault/changes?since=0", headers=session.headers())
    assert response.headers["cache-control"] == "no-store"


def test_hsts_only_behind_https(make_api: MakeApi) -> None:
    with make_api() as api:
        assert "strict-transport-security" not in api.get("/reset").headers
    with make_api(base_url="https://vault.example") as api:
        assert api.get("/reset").headers["strict-transport-security"].startswith("max-age=")


def test_pages_are_isolated_from_their_openers(api: TestClient) -> None:
    assert api.get("/reset").headers["cross-origin-opener-policy"] == "same-origin"


@pytest.mark.parametrize(
    "email", ["a\x00b@example.test", "\x00", "a@b\x00", "x" * 5000, "ali\u202ece@example.test", "", "@"]
)
def test_the_reset_form_refuses_bad_addresses_without_a_500(api: TestClient, email: str) -> None:
    response = api.post("/reset", data={"email": email})
    assert response.status_code == 400
    assert "\x00" not in response.text
