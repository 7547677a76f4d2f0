"""Devices in step through the in-process server: merges, conflict copies, deletes, password
change, account reset."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.unit.client._inproc import BASE_URL
from tests.unit.client._reset import reset_account

from safehold.client.account import AccountService, Unlocked
from safehold.client.errors import AccountWasReset, AuthFailed, SessionRevoked
from safehold.crypto import AccountKey

EMAIL = "ann@example.com"
PW = "correct horse"

Make = Callable[[str], AccountService]


def _item(title: str, **fields: str) -> dict[str, Any]:
    return {
        "v": 1,
        "type": "login",
        "title": title,
        "fields": fields,
        "custom": [],
        "tags": [],
        "favorite": False,
        "notes": "",
        "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z",
        "history": [],
    }


def _devices(make: Make, n: int) -> tuple[list[Unlocked], AccountKey]:
    first, key = make("d0").signup(EMAIL, PW, "hint: horse")
    others = [make(f"d{i}").login(EMAIL, PW, key) for i in range(1, n)]
    return [first, *others], key


def _titles(device: Unlocked) -> dict[str, dict[str, Any]]:
    return {it.title: it.data for it in device.vault.all()}


def test_add_on_a_appears_on_b(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    a.vault.put(_item("GitHub", username="ann", password="pw1"))
    assert a.sync().pushed == 1
    assert b.sync().pulled == 1
    assert _titles(b)["GitHub"]["fields"]["password"] == "pw1"
    assert a.store.outbox() == [] and b.store.outbox() == []


def test_offline_edits_to_different_fields_merge(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("GitHub", username="ann", password="pw1"))
    a.sync(), b.sync()
    a.vault.put(_item("GitHub", username="ann2", password="pw1"), stored.item_id)
    b.vault.put(_item("GitHub", username="ann", password="pw2"), stored.item_id)
    a.sync()
    report = b.sync()
    assert report.conflicts == []
    a.sync()
    for device in (a, b):
        assert _titles(device)["GitHub"]["fields"] == {"username": "ann2", "password": "pw2"}


def test_same_field_edited_on_both_keeps_both_values(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("GitHub", password="pw1"))
    a.sync(), b.sync()
    a.vault.put(_item("GitHub", password="from-a"), stored.item_id)
    b.vault.put(_item("GitHub", password="from-b"), stored.item_id)
    a.sync()
    report = b.sync()
    assert len(report.conflicts) == 1
    a.sync()
    for device in (a, b):
        titles = _titles(device)
        assert titles["GitHub"]["fields"]["password"] == "from-a"  # the server's value in place
        copies = [t for t in titles if t.startswith("GitHub (conflict copy from d1, ")]
        assert len(copies) == 1 and titles[copies[0]]["fields"]["password"] == "from-b"
    assert [c.copy_id for c in b.store.conflicts()] == [report.conflicts[0].copy_id]


def test_delete_on_a_while_editing_on_b_keeps_the_edit(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("Router", password="pw1"))
    a.sync(), b.sync()
    a.vault.delete(stored.item_id)
    b.vault.put(_item("Router", password="pw2"), stored.item_id)
    a.sync()
    b.sync()
    a.sync()
    for device in (a, b):
        assert _titles(device)["Router"]["fields"]["password"] == "pw2"


def test_edit_on_a_while_deleting_on_b_keeps_the_edit(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("Router", password="pw1"))
    a.sync(), b.sync()
    a.vault.put(_item("Router", password="pw2"), stored.item_id)
    b.vault.delete(stored.item_id)
    a.sync()
    b.sync()
    a.sync()
    for device in (a, b):
        assert _titles(device)["Router"]["fields"]["password"] == "pw2"


def test_delete_on_both(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("Old"))
    a.sync(), b.sync()
    a.vault.delete(stored.item_id)
    b.vault.delete(stored.item_id)
    a.sync(), b.sync(), a.sync()
    assert _titles(a) == _titles(b) == {}
    assert a.store.outbox() == b.store.outbox() == []


def test_unlock_offline_and_wrong_password_shows_hint(make_service: Make) -> None:
    (a,), _ = _devices(make_service, 1)
    a.close()
    service = make_service("d0")
    assert service.unlock(PW, online=False).account_id
    with pytest.raises(AuthFailed) as caught:
        service.unlock("wrong", online=False)
    assert caught.value.hint and "horse" in caught.value.hint
    with pytest.raises(AuthFailed):
        service.unlock("wrong")


def test_password_change_reaches_other_devices(make_service: Make) -> None:
    (a, _b), _ = _devices(make_service, 2)
    a.vault.put(_item("GitHub", password="pw1"))
    a.sync()
    make_service("d0").change_password(a, PW, "new password", "new hint")
    # B still opens its cached keyset with the old password, but the server says no.
    with pytest.raises(AuthFailed):
        make_service("d1").unlock(PW)
    b2 = make_service("d1").unlock("new password")
    b2.sync()
    assert "GitHub" in _titles(b2)
    # From then on the old password fails even offline.
    with pytest.raises(AuthFailed):
        make_service("d1").unlock(PW, online=False)
    assert make_service("d0").unlock("new password").account_id == a.account_id


def test_revoked_device_is_signed_out(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    with a.api() as api:
        api.revoke_device(b.store.device_id)
    with pytest.raises(SessionRevoked):
        b.sync()
    with pytest.raises(SessionRevoked):
        make_service("d1").unlock(PW)


def test_account_reset_archives_each_device(
    make_service: Make, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    (a, b), _ = _devices(make_service, 2)
    a.vault.put(_item("GitHub", password="pw1"))
    a.sync(), b.sync()
    b.vault.put(_item("Offline edit"))
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, PW)
    for device, name in ((a, "d0"), (b, "d1")):
        with pytest.raises(AccountWasReset) as caught:
            device.sync()
        assert caught.value.generation == 2
        service = make_service(name)
        assert not service.profile.vault_path(device.account_id).exists()
        assert service.keystore.load(device.account_id) is None
        assert service.profile.current is None
        # Set aside, not deleted (issue 14 §1): the archive keeps the vault and its key.
        (manifest,) = service.archives.all()
        assert manifest.account_id == device.account_id and manifest.has_account_key
    # Nothing from before the reset was uploaded; the same password with the new key works.
    fresh = make_service("d1").login(EMAIL, PW, new_key)
    fresh.sync()
    assert _titles(fresh) == {} and fresh.store.generation == 2


def test_reset_found_at_unlock(make_service: Make, transport: httpx.BaseTransport, tmp_path: Path) -> None:
    (_a,), _ = _devices(make_service, 1)
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        reset_account(http, tmp_path / "outbox", EMAIL, PW)
    with pytest.raises(AccountWasReset):
        make_service("d0").unlock(PW)
    assert make_service("d0").profile.current is None
