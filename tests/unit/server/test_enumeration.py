"""Issue 12 item 4: who has an account must not be learnable, except where it cannot be
hidden (sign-up must say an address is taken), and that is rate-limited and documented."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, signup, signup_body
from tests.support.inprocess import MakeApi, services_of

from safehold import wire
from safehold.server.mail import messages
from safehold.server.services.fakes import DISTRIBUTION_TTL, FakeAccounts

API = wire.API_PREFIX
CHEAP = {"t": 1, "m_kib": 8, "p": 1}
STRONG = {"t": 4, "m_kib": 131072, "p": 2}


def _start(api: TestClient, email: str) -> dict[str, Any]:
    answer = api.post(f"{API}/auth/start", json={"email": email})
    assert answer.status_code == 200, answer.text
    return dict(answer.json())


def test_signing_up_with_the_id_auth_start_returned_is_refused_alike(api: TestClient) -> None:
    """The attack: auth/start for someone's address, then sign up (another address) with the
    account_id it returned. "Already in use" came only for real accounts."""
    real = TestAccount.new()
    signup(api, real)
    answers = []
    for email in (real.email, "nobody-here@example.test"):
        stranger = TestAccount.new()
        body = signup_body(stranger) | {"account_id": _start(api, email)["account_id"]}
        answer = api.post(f"{API}/accounts", json=body)
        answers.append((answer.status_code, answer.json()["error"]))
    assert answers[0] == answers[1]
    assert answers[0][0] == 422 and answers[0][1]["field"] == "account_id"


def test_fake_ids_look_like_uuid4_and_random_ids_are_not_taken_for_them() -> None:
    fakes = FakeAccounts(b"k" * 32)
    fake = fakes.account_id("ann@example.test")
    assert fake[12] == "4" and fake[16] in "89ab" and fakes.is_fake_id(fake)
    assert fake == fakes.account_id("ann@example.test")  # stable
    import uuid

    assert not any(fakes.is_fake_id(uuid.uuid4().hex) for _ in range(2000))
    assert not FakeAccounts(b"j" * 32).is_fake_id(fake)  # needs this server's secret


def test_unknown_emails_get_params_like_real_accounts_have(make_api: MakeApi) -> None:
    """Accounts with non-default parameters stood out: unknown emails always showed the
    defaults. Now their parameters are drawn from what real accounts have."""
    with make_api(start_limit_per_client=1000) as api:
        for params in (CHEAP, STRONG, STRONG, STRONG):
            account = TestAccount.new()
            body = signup_body(account) | {"kdf_params": params}
            assert api.post(f"{API}/accounts", json=body).status_code == 201
        services_of(api).auth.fakes._distribution = None  # read the fresh accounts
        shown = [_start(api, f"unknown-{i}@example.test")["kdf_params"] for i in range(60)]
        assert STRONG in shown and CHEAP in shown  # both kinds of real account are covered
        assert shown.count(STRONG) > shown.count(CHEAP)  # weighted like the real accounts
        again = [_start(api, f"unknown-{i}@example.test")["kdf_params"] for i in range(60)]
        assert again == shown  # stable per address
    assert DISTRIBUTION_TTL > 0


def test_reset_does_the_same_work_for_unknown_addresses(
    api: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    """POST /reset took measurably longer for real accounts (it rendered a mail). The work is
    now the same; only the sending differs. (Counted, never timed.)"""
    rendered: list[str] = []
    real_render = messages.reset_requested

    def counting(**kwargs: Any) -> Any:
        rendered.append(kwargs["to"])
        return real_render(**kwargs)

    monkeypatch.setattr(messages, "reset_requested", counting)
    account = TestAccount.new()
    signup(api, account)
    for email in (account.email, "nobody-here@example.test"):
        assert api.post(f"{API}/reset", json={"email": email}).status_code == 202
    # The HTML form passes what was typed; not even an address costs the same, and no 500.
    services_of(api).reset.request("not an address", "192.0.2.1")
    assert len(rendered) == 3 and rendered[1] == "nobody-here@example.test"


def test_email_taken_is_rate_limited_per_client(make_api: MakeApi) -> None:
    with make_api(signup_limit_per_client=3, signup_limit_window_seconds=3600) as api:
        taken = TestAccount.new()
        signup(api, taken)
        codes = [api.post(f"{API}/accounts", json=signup_body(TestAccount.new()) | {"email": taken.email}
                          ).status_code for _ in range(3)]  # fmt: skip
        assert codes == [409, 409, 429]
        other = TestClient(api.app, client=("198.51.100.9", 40000))
        assert other.post(f"{API}/accounts", json=signup_body(TestAccount.new())).status_code == 201
