"""The recovery code (spec/protocol.md §9.2) against spec/vectors/recovery-v1.json, then
the properties the vectors cannot list: every single substitution and neighbour swap is a
typo, and each way a wrap can be wrong fails alike."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import (
    CryptoError,
    RecoveryCode,
    RecoveryCodeError,
    RecoveryCodeFormat,
    RecoveryCodeTypo,
    TamperedData,
    open_recovery,
    recovery_ad,
    recovery_auth_matches,
    recovery_keys,
    seal_recovery,
)

from ._vectors import load

V = load("recovery-v1.json")
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


@pytest.mark.parametrize("case", V["codes"], ids=lambda c: c["text"][:14])
def test_text_form(case: dict[str, str]) -> None:
    code = RecoveryCode(bytes.fromhex(case["secret"]))
    assert code.to_text() == case["text"]
    assert RecoveryCode.parse(case["text"]) == code


@pytest.mark.parametrize("case", V["code_parse_ok"], ids=repr)
def test_readings_that_parse(case: dict[str, str]) -> None:
    assert RecoveryCode.parse(case["input"]).secret.hex() == case["secret"]


@pytest.mark.parametrize("case", V["code_parse_fail"], ids=lambda c: c["why"])
def test_readings_that_fail(case: dict[str, str]) -> None:
    expected = RecoveryCodeTypo if case["expect"] == "typo" else RecoveryCodeFormat
    with pytest.raises(expected):
        RecoveryCode.parse(case["input"])


@pytest.mark.parametrize("case", V["wraps"], ids=lambda c: f"generation {c['generation']}")
def test_derivation_and_wrap(case: dict[str, Any]) -> None:
    code = RecoveryCode.parse(case["code_text"])
    account_id = bytes.fromhex(case["account_id"])
    keys = recovery_keys(code, account_id)
    assert (keys.rk.hex(), keys.ra.hex(), keys.auth_hash.hex()) == (case["rk"], case["ra"], case["auth_hash"])
    assert recovery_ad(account_id, case["generation"]).decode() == case["ad"]
    wrapped = seal_recovery(keys, bytes.fromhex(case["vk"]), account_id, case["generation"],
                            nonce=bytes.fromhex(case["nonce"]))  # fmt: skip
    assert wrapped.hex() == case["wrapped"]
    assert open_recovery(keys, wrapped, account_id, case["generation"]).hex() == case["vk"]
    assert recovery_auth_matches(keys.ra, keys.auth_hash)
    assert not recovery_auth_matches(keys.rk, keys.auth_hash)


@pytest.mark.parametrize("case", V["wrap_refuse"], ids=lambda c: c["why"])
def test_wraps_that_must_not_open(case: dict[str, Any]) -> None:
    account_id = bytes.fromhex(case["account_id"])
    keys = recovery_keys(RecoveryCode(bytes.fromhex(case["code_secret"])), account_id)
    with pytest.raises(TamperedData):
        open_recovery(keys, bytes.fromhex(case["wrapped"]), account_id, case["generation"])


@given(st.binary(min_size=32, max_size=32), st.integers(0, 55), st.integers(1, 31))
def test_every_substitution_is_a_typo(secret: bytes, where: int, shift: int) -> None:
    body = list(RecoveryCode(secret).to_text()[5:].replace("-", ""))
    body[where] = ALPHABET[(ALPHABET.index(body[where]) + shift) % 32]
    with pytest.raises(RecoveryCodeError):
        RecoveryCode.parse("SHR1" + "".join(body))


@given(st.binary(min_size=32, max_size=32), st.integers(0, 54))
def test_every_neighbour_swap_is_a_typo(secret: bytes, where: int) -> None:
    body = list(RecoveryCode(secret).to_text()[5:].replace("-", ""))
    if body[where] == body[where + 1]:
        return
    body[where], body[where + 1] = body[where + 1], body[where]
    with pytest.raises(RecoveryCodeError):
        RecoveryCode.parse("SHR1" + "".join(body))


def test_secret_never_in_repr_and_errors_form_one_tree() -> None:
    code = RecoveryCode.generate()
    keys = recovery_keys(code, bytes(16))
    assert code.secret.hex() not in repr(code) and keys.ra.hex() not in repr(keys)
    assert issubclass(RecoveryCodeTypo, CryptoError) and issubclass(RecoveryCodeFormat, CryptoError)
    with pytest.raises(RecoveryCodeFormat):
        RecoveryCode(b"short")


def test_committed_file_is_what_the_script_generates() -> None:
    scripts = Path(__file__).resolve().parents[3] / "scripts"
    sys.path.insert(0, str(scripts))
    try:
        path = scripts / "make_recovery_vectors.py"
        spec = importlib.util.spec_from_file_location("make_recovery_vectors", path)
        assert spec and spec.loader
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(scripts))
    assert module.render() == module.OUT.read_text(encoding="utf-8")
