"""Byte encodings used where Safehold values travel as text (spec §1)."""

from __future__ import annotations

import base64
import binascii

from ._errors import CryptoError


def b64encode(data: bytes) -> str:
    """base64url without padding."""
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64decode(text: str) -> bytes:
    """Inverse of :func:`b64encode`; rejects anything but the unpadded url-safe alphabet."""
    if "=" in text or any(c in text for c in "+/ \n\r\t"):
        raise CryptoError("not unpadded base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError) as exc:
        raise CryptoError("not unpadded base64url") from exc


def int_to_hex(value: int) -> str:
    """An SRP integer as lowercase hex, no leading zeros (``0`` for zero)."""
    return format(value, "x")


def hex_to_int(text: str) -> int:
    """Inverse of :func:`int_to_hex`."""
    try:
        return int(text, 16)
    except ValueError as exc:
        raise CryptoError("not a hexadecimal integer") from exc
