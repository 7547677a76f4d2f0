from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import CryptoError, EnvelopeKey, TamperedData, open_, seal

KEY = bytes(range(32))


def test_every_single_bit_flip_is_rejected() -> None:
    env = seal(KEY, b"the quick brown fox", b"ad")
    for i in range(len(env) * 8):
        damaged = bytearray(env)
        damaged[i // 8] ^= 1 << (i % 8)
        with pytest.raises(TamperedData):
            open_(KEY, bytes(damaged), b"ad")


@given(st.binary(max_size=512), st.binary(max_size=64))
def test_round_trip(plaintext: bytes, ad: bytes) -> None:
    env = seal(KEY, plaintext, ad)
    assert env[0] == 0x01 and len(env) == 1 + 12 + len(plaintext) + 16
    assert open_(KEY, env, ad) == plaintext


@given(st.binary(max_size=40))
def test_short_or_garbage_input_is_tampered_not_a_crash(data: bytes) -> None:
    with pytest.raises(TamperedData):
        open_(KEY, data, b"")


def test_nonces_differ() -> None:
    assert seal(KEY, b"x", b"") != seal(KEY, b"x", b"")


def test_wrong_key_and_context() -> None:
    env = seal(KEY, b"x", b"context-a")
    with pytest.raises(TamperedData):
        open_(KEY, env, b"context-b")
    with pytest.raises(TamperedData):
        open_(bytes(32), env, b"context-a")


def test_key_and_nonce_sizes_are_checked() -> None:
    with pytest.raises(CryptoError):
        EnvelopeKey(b"short")
    with pytest.raises(CryptoError):
        seal(KEY, b"x", b"", nonce=b"123")


def test_error_message_is_opaque_and_repr_hides_key() -> None:
    assert str(TamperedData()) == "the data is damaged or was tampered with"
    assert KEY.hex() not in repr(EnvelopeKey(KEY))
