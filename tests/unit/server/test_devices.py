"""Devices: list, revoke; a revoked device's next request gets 401 session_revoked."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, signin, signup

from safehold import wire

API = wire.API_PREFIX


def test_list_marks_the_current_device(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account, device_name="laptop")
    phone = signin(api, account, device_name="phone")
    devices = api.get(f"{API}/devices", headers=phone.headers()).json()["devices"]
    assert {d["name"] for d in devices} == {"laptop", "phone"}
    current = [d for d in devices if d["current"]]
    assert [d["device_id"] for d in current] == [phone.device_id]
    assert all(d["last_seen_at"] for d in devices)
    assert laptop.device_id in {d["device_id"] for d in devices}


def test_revoked_device_gets_session_revoked(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    assert api.delete(f"{API}/devices/{phone.device_id}", headers=laptop.headers()).status_code == 204
    response = api.get(f"{API}/vault/changes", headers=phone.headers())
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "session_revoked"
    remaining = api.get(f"{API}/devices", headers=laptop.headers()).json()["devices"]
    assert [d["device_id"] for d in remaining] == [laptop.device_id]


def test_revoking_an_unknown_device_is_404(api: TestClient) -> None:
    session = signup(api, TestAccount.new())
    response = api.delete(f"{API}/devices/{'0' * 32}", headers=session.headers())
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_cannot_revoke_another_accounts_device(api: TestClient) -> None:
    alice = signup(api, TestAccount.new())
    bob = signup(api, TestAccount.new())
    assert api.delete(f"{API}/devices/{bob.device_id}", headers=alice.headers()).status_code == 404
    assert api.get(f"{API}/account", headers=bob.headers()).status_code == 200


def test_revoked_device_can_sign_in_again(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    api.delete(f"{API}/devices/{phone.device_id}", headers=laptop.headers())
    again = signin(api, account, device_id=phone.device_id)
    assert api.get(f"{API}/account", headers=again.headers()).status_code == 200
