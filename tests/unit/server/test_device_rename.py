"""PATCH /devices/{id}: rename a device of one's own account; never another account's, never
without a session, never to an empty or over-long name."""

from __future__ import annotations

from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, signin, signup

from safehold import wire

API = wire.API_PREFIX


def test_rename_a_device_of_the_account(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account, device_name="laptop")
    phone = signin(api, account, device_name="phone")
    url = f"{API}/devices/{phone.device_id}"
    answer = api.patch(url, json={"name": "old phone"}, headers=laptop.headers())
    assert answer.status_code == 204
    devices = api.get(f"{API}/devices", headers=laptop.headers()).json()["devices"]
    assert {d["device_id"]: d["name"] for d in devices}[phone.device_id] == "old phone"


def test_rename_refuses_what_it_must(api: TestClient) -> None:
    alice = signup(api, TestAccount.new())
    bob = signup(api, TestAccount.new())
    url = f"{API}/devices/{bob.device_id}"
    assert api.patch(url, json={"name": "x"}, headers=alice.headers()).status_code == 404
    unknown = f"{API}/devices/{'0' * 32}"
    assert api.patch(unknown, json={"name": "x"}, headers=alice.headers()).status_code == 404
    assert api.patch(url, json={"name": "x"}).status_code == 401
    own = f"{API}/devices/{alice.device_id}"
    for bad in ({"name": ""}, {"name": "x" * 101}, {}, {"name": 3}):
        assert api.patch(own, json=bad, headers=alice.headers()).status_code == 422, bad
    assert api.patch(f"{API}/devices/nothex", json={"name": "x"}, headers=alice.headers()).status_code == 422
