"""``rotate-key`` on two devices through the in-process server (issue 14 §5): the vault key
and every item stay, the old key opens nothing, the other device keeps its data (an unsynced
edit included) and asks for the new key."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from safehold.client.account import AccountService, Unlocked
from safehold.client.errors import AuthFailed, KeyRotated
from safehold.client.key_rotation import rotate_key

EMAIL = "ann@example.com"
PW = "correct horse"
Make = Callable[[str], AccountService]


def _item(title: str) -> dict[str, Any]:
    return {"v": 1, "type": "login", "title": title, "fields": {"password": title}, "custom": [],
            "tags": [], "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z", "history": []}  # fmt: skip


def _titles(device: Unlocked) -> set[str]:
    return {it.title for it in device.vault.all()}


def test_rotate_key_on_two_devices(make_service: Make) -> None:
    a, old_key = make_service("d0").signup(EMAIL, PW)
    b = make_service("d1").login(EMAIL, PW, old_key)
    a.vault.put(_item("GitHub"))
    a.sync(), b.sync()
    b.vault.put(_item("Unsynced on B"))
    vk = a.vk
    new_key = rotate_key(a.service, a, PW)
    assert new_key.to_text() != old_key.to_text()
    assert make_service("d0").keystore.load(a.account_id) == new_key
    # A works on: same vault key, same items, its session kept.
    a.vault.put(_item("After rotation"))
    a.sync()
    a.close()
    again = make_service("d0").unlock(PW)
    assert again.vk == vk and _titles(again) == {"GitHub", "After rotation"}
    # B is signed out with the reason, keeps everything, and needs the new key.
    with pytest.raises(KeyRotated):
        b.sync()
    b.close()
    with pytest.raises(KeyRotated):
        make_service("d1").unlock(PW)
    with pytest.raises(AuthFailed):
        make_service("d1").login(EMAIL, PW, old_key)  # the old key opens nothing
    back = make_service("d1").login(EMAIL, PW, new_key)
    assert "Unsynced on B" in _titles(back) and back.store.outbox() != []
    back.sync()
    assert _titles(back) == {"GitHub", "After rotation", "Unsynced on B"}


def test_rotate_key_with_a_wrong_password_changes_nothing(make_service: Make) -> None:
    a, old_key = make_service("d0").signup(EMAIL, PW)
    with pytest.raises(AuthFailed):
        rotate_key(a.service, a, "wrong password")
    assert make_service("d0").keystore.load(a.account_id) == old_key
    assert make_service("d0").keystore.load(f"{a.account_id}-pending") is None
    a.close()
    assert make_service("d0").unlock(PW).account_id == a.account_id
