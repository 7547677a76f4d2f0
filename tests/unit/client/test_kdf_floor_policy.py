"""Issue 12 item 15: ``SAFEHOLD_KDF_FLOOR`` only ever refuses; it never becomes the cost of a
new account. Only the loudly named test-only setting makes a cheap account."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest
from tests.unit.client._inproc import BASE_URL

from safehold.client.account import AccountService
from safehold.client.errors import UsageError
from safehold.client.settings import TEST_ONLY_SIGNUP_KDF_ENV, ClientSettings
from safehold.crypto import DEFAULT_PARAMS, KdfParams

CHEAP = KdfParams(t=1, m_kib=8, p=1)


def test_a_stray_floor_does_not_make_new_accounts_cheap() -> None:
    settings = ClientSettings.load(env={"SAFEHOLD_KDF_FLOOR": "1,8,1", "SAFEHOLD_HOME": "/nonexistent"})
    assert settings.kdf_floor == CHEAP
    assert settings.signup_params == DEFAULT_PARAMS


def test_a_higher_floor_raises_the_cost_of_new_accounts() -> None:
    settings = ClientSettings.load(env={"SAFEHOLD_KDF_FLOOR": "4,131072,4", "SAFEHOLD_HOME": "/x"})
    assert settings.signup_params == KdfParams(t=4, m_kib=131072, p=4)


def test_only_the_loud_test_setting_makes_cheap_accounts() -> None:
    settings = ClientSettings.load(
        env={"SAFEHOLD_KDF_FLOOR": "1,8,1", TEST_ONLY_SIGNUP_KDF_ENV: "1,8,1", "SAFEHOLD_HOME": "/x"}
    )
    assert settings.signup_params == CHEAP
    # Not below the device's own floor: the device would refuse its own account.
    raised = ClientSettings.load(env={TEST_ONLY_SIGNUP_KDF_ENV: "1,8,1", "SAFEHOLD_HOME": "/x"})
    assert raised.signup_params == DEFAULT_PARAMS


def test_the_test_setting_is_checked() -> None:
    with pytest.raises(UsageError, match=TEST_ONLY_SIGNUP_KDF_ENV):
        ClientSettings.load(env={TEST_ONLY_SIGNUP_KDF_ENV: "cheap", "SAFEHOLD_HOME": "/x"})


def test_signup_with_only_a_floor_gets_the_default_cost(
    tmp_path: Path, transport: httpx.BaseTransport
) -> None:
    settings = ClientSettings(
        home=tmp_path / "a", server=BASE_URL, kdf_floor=CHEAP, keystore="file",
        device_name="a", runtime_dir=tmp_path / "run",
    )  # fmt: skip
    unlocked, _ = AccountService(settings, transport=transport).signup("ann@example.com", "correct horse 1")
    try:
        assert unlocked.store.kdf_params == DEFAULT_PARAMS
    finally:
        unlocked.close()
