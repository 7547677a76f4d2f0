"""Byte encodings used where Safehold values travel as text (spec §1).

Every value has exactly one text form, and the decoders accept only that form. A lenient
decoder would give two different strings the same meaning, so a value compared or stored
as text (a verifier, a salt) could differ from what another implementation computes.
"""

from __future__ import annotations

import base64
import re

from ._errors import EncodingError

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_HEX_INT = re.compile(r"0|[1-9a-f][0-9a-f]*")


def b64encode(data: bytes) -> str:
    """base64url without padding (RFC 4648 §5)."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Inverse of :func:`b64encode`, and strict: only the characters ``A-Z a-z 0-9 - _``,
    no padding, a length a real encoding can have, and unused trailing bits zero, so that
    ``b64encode(b64decode(text)) == text``. Anything else is an :class:`EncodingError`."""
    if not isinstance(text, str) or not _B64URL.fullmatch(text):
        raise EncodingError(
            "not base64url: only A-Z, a-z, 0-9, '-' and '_' may appear (no padding, no spaces)"
        )
    if len(text) % 4 == 1:
        raise EncodingError("not base64url: no encoding has this length (one character too many or few)")
    data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    # The last character can carry bits beyond the data; RFC 4648 §3.5 lets a decoder
    # reject them, and we must, or "AB" and "AA" would both mean b"\x00".
    if b64encode(data) != text:
        raise EncodingError("not canonical base64url: the last character's unused bits are not zero")
    return data


def int_to_hex(value: int) -> str:
    """An SRP integer as lowercase hex, no leading zeros (``0`` for zero)."""
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise EncodingError("only a non-negative integer has a hexadecimal form here")
    return format(value, "x")


def hex_to_int(text: str) -> int:
    """Inverse of :func:`int_to_hex`, and strict: lowercase ``0-9 a-f`` only, no leading
    zeros, no sign, ``0x`` prefix, underscores or white space (all of which Python's
    ``int(text, 16)`` would accept). Anything else is an :class:`EncodingError`."""
    if not isinstance(text, str) or not _HEX_INT.fullmatch(text):
        raise EncodingError(
            "not a hexadecimal integer in canonical form: lowercase 0-9 and a-f only, "
            "without leading zeros, sign, prefix or spaces"
        )
    return int(text, 16)
