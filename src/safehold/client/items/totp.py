"""Time-based one-time passwords (RFC 6238), computed locally with ``pyotp``.

A TOTP field holds either an ``otpauth://totp/…`` URI, as a site's QR code carries it, or the bare
base32 secret a site shows for typing in ("JBSW Y3DP EHPK 3PXP", any case, spaces allowed).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final
from urllib.parse import parse_qs, unquote, urlsplit

import pyotp

from .errors import InvalidOtp

DEFAULT_DIGITS: Final = 6
DEFAULT_PERIOD: Final = 30
# RFC 4226 asks for at least 6 digits; pyotp stops at 10. Periods beyond a day are a typo.
_DIGITS_RANGE: Final = range(6, 11)
_MAX_PERIOD: Final = 86_400
# pyotp refuses secrets under 112 bits (NIST's advice for *issuing* them), but the site has
# already chosen the secret: many issue 80-bit ones (16 base32 characters, e.g. Google's), and
# RFC 4226's own floor is 128 bits only as a recommendation. Computing a code from whatever
# the site issued is the client's job, so the floor here is one byte.
_MIN_SECRET_BITS: Final = 8
_ALGORITHMS: Final[dict[str, Callable[..., Any]]] = {
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}


class _SiteTotp(pyotp.TOTP):
    """pyotp's TOTP with the secret-length floor lowered through its own class setting."""

    min_secret_length_bits = _MIN_SECRET_BITS


@dataclass(frozen=True, slots=True)
class TotpCode:
    code: str
    seconds_left: int
    period: int


@dataclass(frozen=True, slots=True)
class TotpParams:
    """A parsed TOTP configuration. ``repr`` hides the secret."""

    secret: str
    digits: int = DEFAULT_DIGITS
    period: int = DEFAULT_PERIOD
    algorithm: str = "SHA1"
    issuer: str = ""
    account: str = ""

    def __repr__(self) -> str:
        return (
            f"TotpParams(secret=<hidden>, digits={self.digits}, period={self.period}, "
            f"algorithm={self.algorithm!r}, issuer={self.issuer!r}, account={self.account!r})"
        )


def parse_totp(secret_or_uri: str) -> TotpParams:
    """Read a TOTP field's value; raises :class:`InvalidOtp` saying what is wrong."""
    if not isinstance(secret_or_uri, str) or not secret_or_uri.strip():
        raise InvalidOtp("the one-time-password secret is empty")
    text = secret_or_uri.strip()
    if text.lower().startswith("otpauth:"):
        return _parse_uri(text)
    return TotpParams(secret=_clean_secret(text))


def totp_code(secret_or_uri: str, at: datetime | None = None) -> TotpCode:
    """The code for ``at`` (default: now) and how many seconds it stays valid.

    ``at`` must be timezone-aware: a naive time would silently mean different instants on
    machines in different zones, and a code off by hours looks exactly like a broken secret.
    """
    params = parse_totp(secret_or_uri)
    if at is None:
        at = datetime.now(UTC)
    elif at.tzinfo is None or at.utcoffset() is None:
        raise InvalidOtp("the time for a one-time password must be timezone-aware")
    # Integer seconds from the aware instant; pyotp's own datetime handling reads naive values
    # as local time, so the counter is computed here and only the HMAC step is delegated.
    timestamp = int(at.timestamp())
    counter, elapsed = divmod(timestamp, params.period)
    otp = _SiteTotp(
        params.secret,
        digits=params.digits,
        digest=_ALGORITHMS[params.algorithm],
        interval=params.period,
    )
    return TotpCode(
        code=otp.generate_otp(counter), seconds_left=params.period - elapsed, period=params.period
    )


def _clean_secret(text: str) -> str:
    secret = "".join(text.split()).replace("-", "").upper().rstrip("=")
    if not secret:
        raise InvalidOtp("the one-time-password secret is empty")
    bad = sorted({ch for ch in secret if ch not in "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"})
    if bad:
        raise InvalidOtp(
            "a one-time-password secret is base32 (letters A–Z and digits 2–7); "
            f"this one contains {', '.join(repr(c) for c in bad)}"
        )
    try:
        base64.b32decode(secret + "=" * (-len(secret) % 8))
    except binascii.Error:
        raise InvalidOtp(f"a base32 secret cannot be {len(secret)} characters long; check it") from None
    return secret


def _parse_uri(uri: str) -> TotpParams:
    parts = urlsplit(uri)
    if parts.scheme.lower() != "otpauth":
        raise InvalidOtp("a one-time-password URI starts with otpauth://")
    if parts.netloc.lower() != "totp":
        kind = parts.netloc or "(none)"
        raise InvalidOtp(f"only time-based codes (otpauth://totp/…) are supported, not {kind!r}")
    query = {k.lower(): v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    if not query.get("secret"):
        raise InvalidOtp("the otpauth:// URI has no secret= parameter")
    secret = _clean_secret(query["secret"])
    digits = _int_param(query, "digits", DEFAULT_DIGITS)
    if digits not in _DIGITS_RANGE:
        raise InvalidOtp(f"a one-time password has 6 to 10 digits, not {digits}")
    period = _int_param(query, "period", DEFAULT_PERIOD)
    if not 1 <= period <= _MAX_PERIOD:
        raise InvalidOtp(f"a one-time-password period of {period} seconds is not usable")
    algorithm = query.get("algorithm", "SHA1").upper().replace("-", "")
    if algorithm not in _ALGORITHMS:
        raise InvalidOtp(
            f"unknown one-time-password algorithm {query['algorithm']!r}; use SHA1, SHA256 or SHA512"
        )
    label = unquote(parts.path.lstrip("/"))
    issuer, _, account = label.rpartition(":")
    return TotpParams(
        secret=secret,
        digits=digits,
        period=period,
        algorithm=algorithm,
        issuer=query.get("issuer", issuer).strip(),
        account=account.strip(),
    )


def _int_param(query: dict[str, str], name: str, default: int) -> int:
    raw = query.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit():
        raise InvalidOtp(f"the otpauth:// URI's {name}= must be a whole number, not {raw!r}")
    return int(raw)
