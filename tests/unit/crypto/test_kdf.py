from __future__ import annotations

import pytest

from safehold.crypto import (
    DEFAULT_PARAMS,
    CryptoError,
    KdfParams,
    KdfParamsRejected,
    KdfPolicy,
    derive_keys,
    normalize_email,
    password_bytes,
)

CHEAP = KdfParams(t=1, m_kib=8, p=1)
LOW = KdfPolicy(floor=CHEAP)


def derive(**overrides: object) -> object:
    args: dict[str, object] = {
        "email": "a@example.com",
        "password": "pw",
        "account_key_secret": bytes(16),
        "account_id": bytes(16),
        "kdf_salt": bytes(16),
        "params": CHEAP,
        "policy": LOW,
    }
    args.update(overrides)
    return derive_keys(**args)  # type: ignore[arg-type]


def test_defaults_are_the_spec_defaults() -> None:
    assert (DEFAULT_PARAMS.t, DEFAULT_PARAMS.m_kib, DEFAULT_PARAMS.p) == (3, 65536, 4)


@pytest.mark.parametrize("params", [KdfParams(2, 65536, 4), KdfParams(3, 32768, 4), KdfParams(3, 65536, 1)])
def test_default_policy_refuses_a_downgrade(params: KdfParams) -> None:
    with pytest.raises(KdfParamsRejected, match="weaker"):
        KdfPolicy().check(params)


@pytest.mark.parametrize(
    "params", [KdfParams(21, 65536, 4), KdfParams(3, 2 * 1024 * 1024, 4), KdfParams(3, 65536, 17)]
)
def test_policy_refuses_exhaustion(params: KdfParams) -> None:
    with pytest.raises(KdfParamsRejected, match="excessive"):
        KdfPolicy().check(params)


def test_derive_uses_the_default_policy_unless_given_one() -> None:
    with pytest.raises(KdfParamsRejected):
        derive(policy=None)


def test_email_normalisation_gives_the_same_keys() -> None:
    assert normalize_email("  ALICE@Example.COM ") == "alice@example.com"
    a = derive(email="alice@example.com")
    b = derive(email="  ALICE@Example.COM\t")
    assert a.auk == b.auk  # type: ignore[attr-defined]


def test_password_nfkd_but_not_trimmed() -> None:
    assert password_bytes("\u00e9") == password_bytes("e\u0301")
    assert derive(password="\u00e9").auk == derive(password="e\u0301").auk  # type: ignore[attr-defined]
    assert derive(password="pw ").auk != derive(password="pw").auk  # type: ignore[attr-defined]


def test_both_secrets_matter() -> None:
    base = derive()
    assert derive(password="other").auk != base.auk  # type: ignore[attr-defined]
    assert derive(account_key_secret=b"\x01" * 16).auk != base.auk  # type: ignore[attr-defined]
    assert derive(account_id=b"\x01" * 16).auk != base.auk  # type: ignore[attr-defined]
    assert derive(kdf_salt=b"\x01" * 16).auk != base.auk  # type: ignore[attr-defined]


def test_lengths_are_checked() -> None:
    with pytest.raises(CryptoError):
        derive(account_id=b"short")


def test_repr_hides_secrets() -> None:
    dk = derive()
    assert dk.auk.hex() not in repr(dk)  # type: ignore[attr-defined]
