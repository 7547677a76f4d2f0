"""Issue 12 item 5: ``SAFEHOLD_SIGNUPS=verify``: the account works only once the address is
confirmed by the mailed link (a button, so a mail scanner opening the link confirms
nothing); an unconfirmed account whose link expired can be signed up for again, so an
address cannot be squatted for ever."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import update
from tests.support.accounts import TestAccount, signin_raw, signup_body
from tests.support.inprocess import MakeApi, services_of
from tests.support.server import read_eml

from safehold import wire
from safehold.server.db.models import Account, utcnow

API = wire.API_PREFIX


def _link_token(tmp_path: Path, email: str) -> str:
    mails = [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]
    [mail] = [m for m in mails if m["X-Safehold-Template"] == "verify_address" and m["To"] == email][-1:]
    match = re.search(r"/verify/([A-Za-z0-9_-]+)", mail.get_body(("plain",)).get_content())
    assert match
    return match.group(1)


def _signup(api: TestClient, account: TestAccount) -> dict[str, object]:
    answer = api.post(f"{API}/accounts", json=signup_body(account))
    assert answer.status_code == 201, answer.text
    return dict(answer.json())


def test_the_account_works_only_once_the_address_is_confirmed(make_api: MakeApi, tmp_path: Path) -> None:
    with make_api(signups="verify") as api:
        account = TestAccount.new()
        body = _signup(api, account)
        assert body["verification_required"] is True
        headers = {"Authorization": f"Bearer {body['session']['token']}"}  # type: ignore[index]
        refused = api.get(f"{API}/account", headers=headers)
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "email_unverified"
        # Signing in: a right password is told to confirm; a wrong one fails as ever.
        assert signin_raw(api, account).json()["error"]["code"] == "email_unverified"
        assert signin_raw(api, account, password="wrong").status_code == 401

        token = _link_token(tmp_path, account.email)
        page = api.get(f"/verify/{token}")
        assert page.status_code == 200 and account.email in page.text and "<form" in page.text
        assert api.get(f"{API}/account", headers=headers).status_code == 403  # opening is not confirming
        done = api.post(f"/verify/{token}")
        assert done.status_code == 200 and "confirmed" in done.text
        assert api.get(f"{API}/account", headers=headers).status_code == 200
        assert signin_raw(api, account).status_code == 200
        assert api.post(f"/verify/{token}").status_code == 410  # used
        assert api.get("/verify/not-a-token").status_code == 404


def test_an_unconfirmed_address_is_free_again_after_the_link_expires(make_api: MakeApi) -> None:
    with make_api(signups="verify", verify_token_minutes=60) as api:
        squatter = TestAccount.new()
        _signup(api, squatter)
        owner = TestAccount.new()
        owner.email = squatter.email
        again = api.post(f"{API}/accounts", json=signup_body(owner))
        assert again.status_code == 409  # while the squatter's link may still be used
        services = services_of(api)
        with services.database.write() as db:
            db.execute(update(Account).where(Account.account_id == squatter.account_id)
                       .values(unverified_since=utcnow() - timedelta(minutes=61)))  # fmt: skip
        assert _signup(api, owner)["account_id"] == owner.account_id
        with services.database.read() as db:
            assert db.get(Account, squatter.account_id) is None  # it never worked; nothing lost


def test_open_sign_up_needs_no_confirmation(api: TestClient) -> None:
    body = _signup(api, TestAccount.new())
    assert "verification_required" not in body  # older clients refuse unknown fields


def test_the_client_says_to_confirm_the_address() -> None:
    import httpx

    from safehold.client.api import error_from_response
    from safehold.client.errors import ExitCode

    body = {"error": {"code": "email_unverified", "message": "not confirmed"}}
    error = error_from_response(httpx.Response(403, json=body))
    assert error.exit_code == ExitCode.EMAIL_UNVERIFIED == 33
    assert "link" in (error.hint or "")
