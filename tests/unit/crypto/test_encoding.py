"""spec §1: base64url and hex integers have exactly one text form, and only it is read."""

from __future__ import annotations

import base64
import string

import pytest
from hypothesis import assume, given
from hypothesis import strategies as st

from safehold.crypto import CryptoError, EncodingError, b64decode, b64encode, hex_to_int, int_to_hex

#: RFC 4648 §5, in value order.
B64_ALPHABET = string.ascii_uppercase + string.ascii_lowercase + string.digits + "-_"


# --- base64url ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "text"),
    [
        (b"", ""),
        (b"\x00", "AA"),
        (b"\xff\xff", "__8"),
        (b"\xfb\xff", "-_8"),
        (b"foobar", "Zm9vYmFy"),
        (b"fooba", "Zm9vYmE"),
    ],
)
def test_b64_known_values(data: bytes, text: str) -> None:
    assert b64encode(data) == text
    assert b64decode(text) == data


@given(st.binary(max_size=300))
def test_b64_round_trip(data: bytes) -> None:
    text = b64encode(data)
    assert set(text) <= set(B64_ALPHABET)
    assert b64decode(text) == data
    # Same bytes as the standard library's url-safe form with its padding removed.
    assert text == base64.urlsafe_b64encode(data).decode().rstrip("=")


@given(st.text(alphabet=B64_ALPHABET, max_size=60))
def test_b64_every_text_is_either_canonical_or_rejected(text: str) -> None:
    """No text other than b64encode's output for some bytes is ever accepted."""
    try:
        data = b64decode(text)
    except EncodingError:
        # Rejected texts are exactly those no encoding produces.
        padded = text + "=" * (-len(text) % 4)
        assert len(text) % 4 == 1 or b64encode(base64.urlsafe_b64decode(padded)) != text
    else:
        assert b64encode(data) == text


@given(st.binary(min_size=1, max_size=60), st.integers(min_value=1, max_value=15))
def test_b64_nonzero_trailing_bits_are_rejected(data: bytes, bits: int) -> None:
    text = b64encode(data)
    unused = {1: 4, 2: 2, 0: 0}[len(data) % 3]
    assume(unused)
    last = B64_ALPHABET.index(text[-1])
    altered = last | (bits & ((1 << unused) - 1))
    assume(altered != last)
    with pytest.raises(EncodingError, match="unused bits"):
        b64decode(text[:-1] + B64_ALPHABET[altered])


def test_b64_the_audit_example() -> None:
    assert b64decode("AA") == b"\x00"
    with pytest.raises(EncodingError, match="unused bits"):
        b64decode("AB")


@given(st.binary(min_size=1, max_size=60), st.data())
def test_b64_padding_and_foreign_characters_are_rejected(data: bytes, draw: st.DataObject) -> None:
    text = b64encode(data)
    position = draw.draw(st.integers(0, len(text)))
    intruder = draw.draw(
        st.sampled_from(["=", "+", "/", " ", "\n", "\t", ".", "é", "\x00", "Ａ", "٣"])
        | st.characters(blacklist_characters=B64_ALPHABET)
    )
    with pytest.raises(EncodingError, match="only A-Z"):
        b64decode(text[:position] + intruder + text[position:])


@pytest.mark.parametrize("text", ["A", "AAAAA", "Zm9vY"])
def test_b64_impossible_lengths_are_rejected(text: str) -> None:
    with pytest.raises(EncodingError, match="length"):
        b64decode(text)


def test_b64_padded_standard_form_is_rejected() -> None:
    with pytest.raises(EncodingError):
        b64decode("AA==")


def test_encoding_error_is_both_a_crypto_error_and_a_value_error() -> None:
    with pytest.raises(CryptoError):
        b64decode("!")
    with pytest.raises(ValueError):  # callers that validate input with `except ValueError`
        b64decode("!")


def test_b64_error_does_not_echo_the_input() -> None:
    secret_looking = "c2VjcmV0IGtleQ" + "!"
    with pytest.raises(EncodingError) as info:
        b64decode(secret_looking)
    assert "c2VjcmV0" not in str(info.value)


# --- hexadecimal integers ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"), [(0, "0"), (1, "1"), (255, "ff"), (256, "100"), (2**3072 - 1, "f" * 768)]
)
def test_hex_known_values(value: int, text: str) -> None:
    assert int_to_hex(value) == text
    assert hex_to_int(text) == value


@given(st.integers(min_value=0, max_value=2**4096))
def test_hex_round_trip(value: int) -> None:
    text = int_to_hex(value)
    assert text == text.lower() and (text == "0" or not text.startswith("0"))
    assert hex_to_int(text) == value


@pytest.mark.parametrize(
    "text",
    [
        "",
        "-1",
        "+1",
        "0x1f",
        "0X1F",
        "1_000",
        " 1f",
        "1f ",
        "1f\n",
        "00",
        "01",
        "0ff",
        "FF",
        "aBc",
        "g",
        "１",  # a full-width digit: int() would read it
        "٣",  # an Arabic-Indic digit: int() would read it
    ],
)
def test_hex_non_canonical_forms_are_rejected(text: str) -> None:
    with pytest.raises(EncodingError, match="canonical form"):
        hex_to_int(text)


@given(st.text(max_size=20))
def test_hex_every_text_is_either_canonical_or_rejected(text: str) -> None:
    try:
        value = hex_to_int(text)
    except EncodingError:
        assert not (text and all(c in "0123456789abcdef" for c in text)) or (len(text) > 1 and text[0] == "0")
    else:
        assert int_to_hex(value) == text


@pytest.mark.parametrize("value", [-1, True])
def test_int_to_hex_refuses_what_has_no_canonical_form(value: int) -> None:
    with pytest.raises(EncodingError):
        int_to_hex(value)
