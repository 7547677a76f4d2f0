"""The account reset service and its API (issue 5)."""

from __future__ import annotations

import re
from pathlib import Path

import aiosmtplib
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from tests.support.accounts import (
    TestAccount,
    changes,
    create_items,
    reset_body,
    signin,
    signin_raw,
    signup,
    sync_all,
)
from tests.support.inprocess import app_client, services_of
from tests.support.server import read_eml

from safehold import wire
from safehold.server import errors
from safehold.server.db.models import Account
from safehold.server.settings import Settings

API = wire.API_PREFIX
ACCEPTED = "If an account exists for that address, we have sent an email"


def _mails(tmp_path: Path) -> list:  # type: ignore[type-arg]
    return [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]


def _reset_token(tmp_path: Path) -> str:
    [mail] = [m for m in _mails(tmp_path) if m["Subject"] == "Password reset for Safehold"][-1:]
    html = mail.get_body(("html",)).get_content()
    match = re.search(r'<a href="http://testserver/reset/([A-Za-z0-9_-]+)">here</a>', html)
    assert match, html
    assert match.group(1) in mail.get_body(("plain",)).get_content()
    return match.group(1)


def test_request_answers_the_same_and_mails_only_real_accounts(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    signup(api, account)
    real = api.post(f"{API}/reset", json={"email": account.email})
    ghost = api.post(f"{API}/reset", json={"email": "ghost@example.test"})
    assert real.status_code == ghost.status_code == 202
    assert real.json() == ghost.json() == {"status": "accepted", "message": ACCEPTED}
    resets = [m for m in _mails(tmp_path) if m["Subject"] == "Password reset for Safehold"]
    assert [m["To"] for m in resets] == [account.email]
    assert resets[0].get_body(("plain",)) is not None and resets[0].get_body(("html",)) is not None
    _reset_token(tmp_path)


def test_info_describes_the_account(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    signup(api, account, device_name="old laptop")
    api.post(f"{API}/reset", json={"email": account.email})
    info = api.get(f"{API}/reset/{_reset_token(tmp_path)}").json()
    assert info["email"] == account.email and info["account_id"] == account.account_id
    assert info["next_generation"] == 2
    assert info["kdf_params"] == {"t": 1, "m_kib": 8, "p": 1}
    assert [d["name"] for d in info["devices"]] == ["old laptop"]
    assert info["devices"][0]["last_seen_at"]


def test_complete_wipes_and_raises_the_generation(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    create_items(api, laptop, account, [{"t": "gone soon"}, {"t": "also gone"}])
    before = api.get(f"{API}/account", headers=laptop.headers()).json()
    api.post(f"{API}/reset", json={"email": account.email})
    token = _reset_token(tmp_path)
    done = api.post(f"{API}/reset/{token}", json=reset_body(account, hint="new"))
    assert done.status_code == 200, done.text
    assert done.json()["generation"] == 2 and done.json()["account_id"] == account.account_id

    old = changes(api, phone, generation=1)
    assert old.status_code == 410
    error = old.json()["error"]
    assert error["code"] == "account_reset" and error["generation"] == 2 and error["reset_at"]
    # A revoked-by-reset session gets 410 even where no generation is sent.
    assert api.get(f"{API}/account", headers=laptop.headers()).status_code == 410

    # The same password as before, the new account key.
    fresh = signin(api, account)
    assert fresh.generation == 2
    assert sync_all(api, fresh)[0] == []
    after = api.get(f"{API}/account", headers=fresh.headers()).json()
    assert after["item_count"] == 0 and after["hint"] == "new" and after["reset_at"]
    for key in ("account_id", "email", "created_at", "license"):
        assert after[key] == before[key]
    assert api.get(f"{API}/devices", headers=fresh.headers()).json()["devices"][0]["current"]
    mails = [m["Subject"] for m in _mails(tmp_path)]
    assert mails[-2:] == ["Your Safehold account was reset", "New sign-in to your Safehold account"]


def test_old_account_key_no_longer_signs_in(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    signup(api, account)
    old_key = account.account_key
    api.post(f"{API}/reset", json={"email": account.email})
    api.post(f"{API}/reset/{_reset_token(tmp_path)}", json=reset_body(account))
    account.account_key = old_key
    assert signin_raw(api, account).status_code == 401


def test_token_is_single_use(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    signup(api, account)
    api.post(f"{API}/reset", json={"email": account.email})
    token = _reset_token(tmp_path)
    assert api.post(f"{API}/reset/{token}", json=reset_body(account)).status_code == 200
    again = api.post(f"{API}/reset/{token}", json=reset_body(account))
    assert again.status_code == 410 and again.json()["error"]["code"] == "token_used"
    assert api.get(f"{API}/reset/{token}").json()["error"]["code"] == "token_used"


def test_forged_token_is_404(api: TestClient) -> None:
    forged = api.get(f"{API}/reset/{'A' * 43}")
    assert forged.status_code == 404 and forged.json()["error"]["code"] == "token_invalid"
    account = TestAccount.new()
    post = api.post(f"{API}/reset/nonsense", json=reset_body(account))
    assert post.status_code == 404


def test_expired_token_is_410(tmp_path: Path) -> None:
    with app_client(tmp_path, reset_token_minutes=0) as api:
        account = TestAccount.new()
        signup(api, account)
        api.post(f"{API}/reset", json={"email": account.email})
        token = _reset_token(tmp_path)
        response = api.get(f"{API}/reset/{token}")
        assert response.status_code == 410 and response.json()["error"]["code"] == "token_expired"


def test_wipe_must_be_confirmed(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    api.post(f"{API}/reset", json={"email": account.email})
    token = _reset_token(tmp_path)
    response = api.post(f"{API}/reset/{token}", json=reset_body(TestAccount.new(), confirm=False))
    assert response.status_code == 422 and response.json()["error"]["field"] == "confirm_wipe"
    assert api.get(f"{API}/account", headers=session.headers()).status_code == 200


def test_requests_are_rate_limited_per_address_and_client(tmp_path: Path) -> None:
    with app_client(tmp_path, request_limit_per_address=2, request_limit_per_client=3) as api:
        same = [api.post(f"{API}/reset", json={"email": "a@example.test"}).status_code for _ in range(3)]
        assert same == [202, 202, 429]
        other = api.post(f"{API}/reset", json={"email": "b@example.test"})
        assert other.status_code == 202
        limited = api.post(f"{API}/reset", json={"email": "c@example.test"})
        assert limited.status_code == 429 and limited.json()["error"]["retry_after"] > 0


def test_service_contract_for_the_pages(api: TestClient, tmp_path: Path) -> None:
    reset = services_of(api).reset
    account = TestAccount.new()
    signup(api, account)
    reset.request(account.email, "203.0.113.9")
    token = _reset_token(tmp_path)
    info = reset.info(token)
    assert isinstance(info, wire.ResetInfo) and info.next_generation == 2
    result = reset.complete(token, wire.ResetCompleteRequest.model_validate(reset_body(account)))
    assert isinstance(result, wire.ResetCompleteResponse) and result.generation == 2
    with pytest.raises(errors.TokenUsed):
        reset.info(token)
    with pytest.raises(errors.TokenInvalid):
        reset.info("forged")
    assert issubclass(errors.TokenExpired, errors.TokenError)


def _start_reset(
    api: TestClient, tmp_path: Path, account: TestAccount | None = None
) -> tuple[TestAccount, str]:
    if account is None:
        account = TestAccount.new()
        signup(api, account)
    api.post(f"{API}/reset", json={"email": account.email})
    return account, _reset_token(tmp_path)


def _cheap_account(tmp_path: Path) -> TestAccount:
    """An account with the helpers' cheap keys, made while the server's minimum was low
    (sign-up enforces SAFEHOLD_MIN_KDF_PARAMS too)."""
    with app_client(tmp_path) as api:
        account = TestAccount.new()
        signup(api, account)
        return account


SPEC_DEFAULTS = {"t": 3, "m_kib": 65536, "p": 4}


def test_the_minimum_cost_defaults_to_the_spec() -> None:
    assert Settings(_env_file=None).min_kdf_params.model_dump() == SPEC_DEFAULTS  # type: ignore[call-arg]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"t": 1, "m_kib": 8, "p": 1}, "kdf_params.t"),
        ({"t": 3, "m_kib": 65535, "p": 4}, "kdf_params.m_kib"),
        ({"t": 3, "m_kib": 65536, "p": 3}, "kdf_params.p"),
        ({"t": 21, "m_kib": 65536, "p": 4}, "kdf_params.t"),
        ({"t": 3, "m_kib": 1024 * 1024 + 1, "p": 4}, "kdf_params.m_kib"),
        ({"t": 3, "m_kib": 65536, "p": 17}, "kdf_params.p"),
    ],
)
def test_cost_below_the_minimum_or_above_the_ceilings_is_refused(
    tmp_path: Path, params: dict[str, int], field: str
) -> None:
    account = _cheap_account(tmp_path)
    with app_client(tmp_path, min_kdf_params=SPEC_DEFAULTS) as api:
        account, token = _start_reset(api, tmp_path, account)
        session = signin(api, account)
        body = reset_body(account) | {"kdf_params": params}
        response = api.post(f"{API}/reset/{token}", json=body)
        assert response.status_code == 422, response.text
        error = response.json()["error"]
        assert error["code"] == "invalid_request" and error["field"] == field
        assert field in error["message"]
        # Nothing happened: the link still works and the account is untouched.
        assert api.get(f"{API}/reset/{token}").status_code == 200
        assert api.get(f"{API}/account", headers=session.headers()).json()["generation"] == 1


def test_cost_at_the_minimum_and_the_ceilings_is_accepted(tmp_path: Path) -> None:
    for params in (SPEC_DEFAULTS, {"t": 20, "m_kib": 1024 * 1024, "p": 16}):
        account = _cheap_account(tmp_path / str(params["t"]))
        with app_client(tmp_path / str(params["t"]), min_kdf_params=SPEC_DEFAULTS) as api:
            account, token = _start_reset(api, tmp_path / str(params["t"]), account)
            # Only the stored numbers matter here; nobody signs in with these keys.
            body = reset_body(account) | {"kdf_params": params}
            response = api.post(f"{API}/reset/{token}", json=body)
            assert response.status_code == 200, response.text
            assert api.post(f"{API}/auth/start", json={"email": account.email}).json()["kdf_params"] == params


def test_the_pause_hook_needs_its_own_switch(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    with app_client(tmp_path, test_reset_pause_seconds=30) as api:
        reset = services_of(api).reset
        assert "test hooks are not enabled" in caplog.text
        account, token = _start_reset(api, tmp_path)
        caplog.clear()
        # Were the pause honoured this would take 30 s; the log tells without timing it.
        reset.complete(token, wire.ResetCompleteRequest.model_validate(reset_body(account)))
        assert "pausing" not in caplog.text


@pytest.mark.parametrize("at", ["before_commit", "after_commit"])
def test_the_pause_hook_pauses_where_asked(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch, at: str
) -> None:
    from safehold.server.services import reset as reset_module

    pauses: list[tuple[float, int]] = []
    with app_client(
        tmp_path, test_hooks_enabled=True, test_reset_pause_seconds=7, test_reset_pause_at=at
    ) as api:
        assert "TEST HOOK ACTIVE" in caplog.text
        account, token = _start_reset(api, tmp_path)
        database = services_of(api).reset.database

        def fake_sleep(seconds: float) -> None:
            # What is committed at the moment of the pause: generation 1 or 2.
            with database.read() as db:
                from safehold.server.db.models import Account

                [row] = db.query(Account).all()
                pauses.append((seconds, row.generation))

        monkeypatch.setattr(reset_module.time, "sleep", fake_sleep)
        assert api.post(f"{API}/reset/{token}", json=reset_body(account)).status_code == 200
    assert pauses == [(7, 1 if at == "before_commit" else 2)]


def test_static_files_carry_the_policy_and_nosniff(api: TestClient) -> None:
    for path in ("/static/js/derive-worker.js", "/static/js/strength.js", "/static/vendor/zxcvbn/zxcvbn.js"):
        response = api.get(path)
        assert response.status_code == 200, path
        assert response.headers["x-content-type-options"] == "nosniff"
        policy = response.headers["content-security-policy"]
        assert "default-src 'self'" in policy and "script-src 'self' 'wasm-unsafe-eval'" in policy
        assert "javascript" in response.headers["content-type"]
    assert api.get("/reset").headers["content-security-policy"] == policy


def test_the_same_keys_again_get_the_lost_answer_without_a_second_wipe(
    api: TestClient, tmp_path: Path
) -> None:
    account, token = _start_reset(api, tmp_path)
    body = reset_body(account)
    page_headers = {wire.GENERATION_HEADER: "1"}
    first = api.post(f"{API}/reset/{token}", json=body, headers=page_headers)
    assert first.status_code == 200
    fresh = signin(api, account)
    [item_id] = create_items(api, fresh, account, [{"t": "written after the reset"}])
    mails = len(_mails(tmp_path))

    # The page resends because it never saw the first answer: same answer, nothing wiped.
    again = api.post(f"{API}/reset/{token}", json=body, headers=page_headers)
    assert again.status_code == 200, again.text
    assert again.json() == first.json()
    assert [i["item_id"] for i in sync_all(api, fresh)[0]] == [item_id]
    assert len(_mails(tmp_path)) == mails, "no second 'your account was reset' mail"

    # Any other keys on the used link are refused, with or without the page's header.
    for headers in (page_headers, {}):
        other = api.post(f"{API}/reset/{token}", json=reset_body(TestAccount.new()), headers=headers)
        assert other.status_code == 410 and other.json()["error"]["code"] == "token_used"


class _RefusingRelay:
    """A relay that answers every message with a permanent refusal."""

    async def send(self, message: object) -> None:
        raise aiosmtplib.SMTPResponseException(554, "5.7.1 not now")

    def describe(self) -> str:
        return "a refusing relay"


def _owed(api: TestClient, account: TestAccount) -> bool:
    with services_of(api).database.read() as db:
        return bool(db.scalar(select(Account.reset_mail_due).where(Account.account_id == account.account_id)))


def _reset_done_mails(tmp_path: Path) -> list[str]:
    return [m["To"] for m in _mails(tmp_path) if m["Subject"] == "Your Safehold account was reset"]


def test_the_reset_mail_is_owed_until_a_relay_takes_it(
    api: TestClient, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    account = TestAccount.new()
    signup(api, account)
    api.post(f"{API}/reset", json={"email": account.email})
    token = _reset_token(tmp_path)
    services = services_of(api)
    working = services.mailer.sender
    monkeypatch.setattr(services.mailer, "sender", _RefusingRelay())
    assert api.post(f"{API}/reset/{token}", json=reset_body(account)).status_code == 200
    assert _owed(api, account) and _reset_done_mails(tmp_path) == []

    # What the server does when it starts: the owed mail goes out, once.
    monkeypatch.setattr(services.mailer, "sender", working)
    assert services.reset.send_owed_mail() == 1
    assert _reset_done_mails(tmp_path) == [account.email]
    assert not _owed(api, account)
    assert services.reset.send_owed_mail() == 0


def test_a_delivered_reset_mail_is_not_owed(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    signup(api, account)
    api.post(f"{API}/reset", json={"email": account.email})
    assert api.post(f"{API}/reset/{_reset_token(tmp_path)}", json=reset_body(account)).status_code == 200
    assert _reset_done_mails(tmp_path) == [account.email] and not _owed(api, account)
