"""Issue 12 item 5 (second half): ``SAFEHOLD_MIN_KDF_PARAMS`` was enforced only at reset; an
old or hostile client could create an account, or change its password, to a trivially cheap
Argon2id cost. Sign-up, password change and key rotation now refuse it too."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, password_change_body, signin, signup, signup_body
from tests.support.inprocess import MakeApi

from safehold import wire

API = wire.API_PREFIX
SPEC_DEFAULTS = {"t": 3, "m_kib": 65536, "p": 4}


def test_signup_below_the_minimum_is_refused(make_api: MakeApi) -> None:
    with make_api(min_kdf_params=SPEC_DEFAULTS) as api:
        answer = api.post(f"{API}/accounts", json=signup_body(TestAccount.new()))  # cheap keys
        assert answer.status_code == 422
        assert answer.json()["error"]["field"] == "kdf_params.t"


def _cheap_account(api: TestClient) -> TestAccount:
    account = TestAccount.new()
    signup(api, account)
    return account


def test_a_password_change_below_the_minimum_is_refused(make_api: MakeApi) -> None:
    with make_api() as cheap_server:  # the account was made while the minimum was low
        account = _cheap_account(cheap_server)
        database_url = str(cheap_server.app.state.services.settings.effective_database_url)  # type: ignore[attr-defined]
    with make_api(min_kdf_params=SPEC_DEFAULTS, database_url=database_url) as api:
        session = signin(api, account)
        answer = api.post(f"{API}/account/password", json=password_change_body(api, account, "new pass 1"),
                          headers=session.headers())  # fmt: skip
        assert answer.status_code == 422 and answer.json()["error"]["field"] == "kdf_params.t"
