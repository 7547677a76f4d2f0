"""Issue 12 item 3, client side: the device credential a sign-in returns is kept (0600, in
the profile) and shown at the next sign-in, so a stranger's wrong guesses for the email do
not lock this device out."""

from __future__ import annotations

import json
import stat
from collections.abc import Callable

import pytest

from safehold.client.account import AccountService
from safehold.client.errors import AuthFailed, RateLimited

EMAIL = "ann@example.com"
PW = "correct horse battery"


def test_a_device_that_signed_in_before_is_not_locked_out_by_a_stranger(
    make_service: Callable[[str], AccountService],
) -> None:
    owner = make_service("a")
    unlocked, key = owner.signup(EMAIL, PW)
    unlocked.close()
    laptop = make_service("b")
    laptop.login(EMAIL, PW, key).close()
    stored = laptop.profile.home / "device-credentials.json"
    assert stat.S_IMODE(stored.stat().st_mode) == 0o600
    (credential,) = json.loads(stored.read_text()).values()
    assert credential.startswith("dc1.")

    stranger = make_service("c")
    for _ in range(5):
        with pytest.raises(AuthFailed):
            stranger.login(EMAIL, "a wrong guess", key)
    with pytest.raises(RateLimited):
        stranger.login(EMAIL, PW, key)  # the account's back-off holds for new devices
    laptop.login(EMAIL, PW, key).close()  # this device is not kept out


def test_the_device_that_signed_up_holds_a_credential_too(
    make_service: Callable[[str], AccountService],
) -> None:
    owner = make_service("a")
    unlocked, key = owner.signup(EMAIL, PW)
    unlocked.close()
    stored = json.loads((owner.profile.home / "device-credentials.json").read_text())
    assert len(stored) == 1
    stranger = make_service("c")
    for _ in range(5):
        with pytest.raises(AuthFailed):
            stranger.login(EMAIL, "a wrong guess", key)
    owner.login(EMAIL, PW, key).close()  # e.g. after its session expired
