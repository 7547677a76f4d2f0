from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta, timezone

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.twofactor.totp import TOTP
from hypothesis import given
from hypothesis import strategies as st

from safehold.client.items import InvalidOtp, totp_code
from safehold.client.items.totp import parse_totp

# RFC 6238 Appendix B: the seeds are these ASCII strings, used as raw key bytes.
SEEDS = {
    "SHA1": b"12345678901234567890",
    "SHA256": b"12345678901234567890123456789012",
    "SHA512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


def b32(seed: bytes) -> str:
    return base64.b32encode(seed).decode().rstrip("=")


def at(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


@pytest.mark.parametrize(("seconds", "sha1", "sha256", "sha512"), RFC6238)
def test_rfc6238_vectors(seconds: int, sha1: str, sha256: str, sha512: str) -> None:
    for algorithm, expected in (("SHA1", sha1), ("SHA256", sha256), ("SHA512", sha512)):
        uri = f"otpauth://totp/Test?secret={b32(SEEDS[algorithm])}&digits=8&algorithm={algorithm}"
        assert totp_code(uri, at(seconds)).code == expected, algorithm


def test_plain_secret_defaults_to_six_digits_sha1_30s() -> None:
    code = totp_code(b32(SEEDS["SHA1"]), at(59))
    assert code.code == "287082"  # the last 6 digits of the RFC's 94287082
    assert (code.seconds_left, code.period) == (1, 30)


def test_plain_secret_tolerates_spaces_lowercase_and_padding() -> None:
    secret = b32(SEEDS["SHA1"])
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert totp_code(spaced, at(59)).code == "287082"
    assert totp_code(secret + "====", at(59)).code == "287082"


def test_seconds_left_and_custom_period() -> None:
    uri = f"otpauth://totp/x?secret={b32(SEEDS['SHA1'])}&period=60"
    assert totp_code(uri, at(61)).seconds_left == 59
    assert totp_code(uri, at(61)).period == 60
    assert totp_code(uri, at(61)).code == totp_code(uri, at(119)).code


def test_aware_times_in_any_zone_mean_the_same_instant() -> None:
    utc = at(1234567890)
    other = utc.astimezone(timezone(timedelta(hours=-7)))
    assert totp_code(b32(SEEDS["SHA1"]), utc) == totp_code(b32(SEEDS["SHA1"]), other)


def test_now_by_default() -> None:
    code = totp_code(b32(SEEDS["SHA1"]))
    assert len(code.code) == 6 and 1 <= code.seconds_left <= 30


def test_uri_label_and_issuer_are_read() -> None:
    params = parse_totp(f"otpauth://totp/ACME%20Co:alice@example.com?secret={b32(SEEDS['SHA1'])}&issuer=ACME")
    assert (params.issuer, params.account, params.digits, params.algorithm) == (
        "ACME",
        "alice@example.com",
        6,
        "SHA1",
    )
    assert b32(SEEDS["SHA1"]) not in repr(params)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ("not base32!", "base32"),
        ("ABC", "characters long"),
        ("otpauth://hotp/x?secret=JBSWY3DPEHPK3PXP&counter=1", "time-based"),
        ("otpauth://totp/x", "secret="),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=4", "6 to 10"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&digits=six", "whole number"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&period=0", "period"),
        ("otpauth://totp/x?secret=JBSWY3DPEHPK3PXP&algorithm=MD5", "algorithm"),
    ],
)
def test_bad_input_is_a_clear_error(value: str, message: str) -> None:
    with pytest.raises(InvalidOtp, match=message):
        totp_code(value, at(59))


def test_naive_time_is_refused() -> None:
    with pytest.raises(InvalidOtp, match="timezone"):
        totp_code(b32(SEEDS["SHA1"]), datetime(2024, 1, 1))


# An 80-bit secret as many sites issue it (16 base32 characters); pyotp alone refuses it.
SHORT_SECRET = "JBSWY3DPEHPK3PXP"
_HASHES = {"SHA1": hashes.SHA1, "SHA256": hashes.SHA256, "SHA512": hashes.SHA512}


def reference(secret: bytes, seconds: int, digits: int, algorithm: str) -> str:
    """The code from pyca/cryptography's independent TOTP, with its key-length check off."""
    totp = TOTP(secret, digits, _HASHES[algorithm](), 30, enforce_key_length=False)
    return totp.generate(seconds).decode()


def test_an_80_bit_secret_gives_codes() -> None:
    assert len(base64.b32decode(SHORT_SECRET)) * 8 == 80
    for seconds in (59, 1111111109, 1234567890, 2000000000):
        expected = reference(base64.b32decode(SHORT_SECRET), seconds, 6, "SHA1")
        assert totp_code(SHORT_SECRET, at(seconds)).code == expected
        assert totp_code(SHORT_SECRET.lower(), at(seconds)).code == expected
    uri = f"otpauth://totp/Example:ann?secret={SHORT_SECRET}&issuer=Example"
    assert totp_code(uri, at(59)).code == reference(base64.b32decode(SHORT_SECRET), 59, 6, "SHA1")


@given(
    secret=st.binary(min_size=1, max_size=64),
    seconds=st.integers(0, 2**34),
    digits=st.sampled_from([6, 7, 8]),
    algorithm=st.sampled_from(["SHA1", "SHA256", "SHA512"]),
)
def test_any_secret_length_agrees_with_cryptography(
    secret: bytes, seconds: int, digits: int, algorithm: str
) -> None:
    uri = f"otpauth://totp/x?secret={b32(secret)}&digits={digits}&algorithm={algorithm}"
    assert totp_code(uri, at(seconds)).code == reference(secret, seconds, digits, algorithm)
