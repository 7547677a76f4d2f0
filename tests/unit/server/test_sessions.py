"""What a session that ended says when it is used again, and what /devices shows of it."""

from __future__ import annotations

import json
import re
from pathlib import Path

from fastapi.testclient import TestClient
from tests.support.accounts import (
    TestAccount,
    password_change_body,
    reset_body,
    signin,
    signup,
)
from tests.support.server import read_eml
from typer.testing import CliRunner

from safehold import wire
from safehold.server.cli import app as admin_app
from safehold.server.services.sessions import PASSWORD_CHANGED_MESSAGE

API = wire.API_PREFIX


def _change_password(api: TestClient, account: TestAccount, headers: dict[str, str], new: str) -> None:
    body = password_change_body(api, account, new)
    response = api.post(f"{API}/account/password", json=body, headers=headers)
    assert response.status_code == 200, response.text
    account.password = new


def test_a_password_change_tells_other_devices_why_they_were_signed_out(
    api: TestClient, api_database_url: str
) -> None:
    account = TestAccount.new()
    laptop = signup(api, account, device_name="laptop")
    phone = signin(api, account, device_name="phone")
    _change_password(api, account, laptop.headers(), "the new password")

    revoked = api.get(f"{API}/account", headers=phone.headers())
    assert revoked.status_code == 401
    assert revoked.json()["error"] == {
        "code": "session_revoked",
        "message": PASSWORD_CHANGED_MESSAGE,
        "reason": "password_changed",
        "account_hint": "",  # the hint as it is now (none here), for the device's password prompt
    }
    assert "changed on another device" in PASSWORD_CHANGED_MESSAGE

    listed = {d["name"]: d for d in api.get(f"{API}/devices", headers=laptop.headers()).json()["devices"]}
    assert listed["laptop"]["current"] and not listed["laptop"]["signed_out"]
    assert listed["phone"]["signed_out"] and listed["phone"]["signed_out_reason"] == "password_changed"

    shown = CliRunner().invoke(
        admin_app, ["accounts", "show", account.email, "--database-url", api_database_url]
    )
    assert shown.exit_code == 0, shown.output
    [phone_line] = [line for line in shown.output.splitlines() if "phone" in line]
    assert phone_line.endswith("signed out (password changed)")
    as_json = CliRunner().invoke(
        admin_app, ["accounts", "show", account.email, "--database-url", api_database_url, "--json"]
    )
    devices = {d["name"]: d for d in json.loads(as_json.output)["devices"]}
    assert devices["phone"]["signed_out_reason"] == "password_changed"
    assert devices["laptop"]["signed_out"] is False

    # Signing in again with the new password brings the same device row back.
    signin(api, account, device_id=phone.device_id, device_name="phone")
    again = {d["name"]: d for d in api.get(f"{API}/devices", headers=laptop.headers()).json()["devices"]}
    assert not again["phone"]["signed_out"] and again["phone"]["signed_out_reason"] is None
    assert len(again) == 2


def test_other_revocations_keep_their_own_reasons(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    assert api.delete(f"{API}/devices/{phone.device_id}", headers=laptop.headers()).status_code == 204
    removed = api.get(f"{API}/account", headers=phone.headers()).json()["error"]
    assert removed["code"] == "session_revoked" and removed["reason"] == "device_revoked"
    assert api.post(f"{API}/auth/logout", headers=laptop.headers()).status_code == 204
    out = api.get(f"{API}/account", headers=laptop.headers()).json()["error"]
    assert out["code"] == "session_revoked" and out["reason"] == "logout"


def _reset(api: TestClient, tmp_path: Path, account: TestAccount) -> None:
    assert api.post(f"{API}/reset", json={"email": account.email}).status_code == 202
    mails = [read_eml(path) for path in sorted((tmp_path / "outbox").glob("*.eml"))]
    [mail] = [m for m in mails if m["Subject"] == "Password reset for Safehold"][-1:]
    html = mail.get_body(("html",)).get_content()  # type: ignore[union-attr]
    token = re.search(r'<a href="http://testserver/reset/([A-Za-z0-9_-]+)">here</a>', html)
    assert token is not None
    done = api.post(f"{API}/reset/{token.group(1)}", json=reset_body(account))
    assert done.status_code == 200, done.text


def test_a_session_revoked_before_a_reset_hears_about_the_reset(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    logged_out = signin(api, account)
    assert api.delete(f"{API}/devices/{phone.device_id}", headers=laptop.headers()).status_code == 204
    assert api.post(f"{API}/auth/logout", headers=logged_out.headers()).status_code == 204
    _reset(api, tmp_path, account)

    for session in (phone, logged_out, laptop):
        answer = api.get(f"{API}/account", headers=session.headers())
        assert answer.status_code == 410
        error = answer.json()["error"]
        assert error["code"] == "account_reset" and error["generation"] == 2 and error["reset_at"]
    # A session opened after the reset is not affected.
    fresh = signin(api, account)
    assert api.get(f"{API}/account", headers=fresh.headers()).status_code == 200
