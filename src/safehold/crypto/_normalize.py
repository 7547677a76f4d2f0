"""Normalisation of the user's inputs before any derivation (spec §2).

Two devices must derive the same keys from what a person considers "the same" email and
password, whatever keyboard or operating system produced the characters.
"""

from __future__ import annotations

import unicodedata


def normalize_email(email: str) -> str:
    """NFKC, surrounding white space removed, lower-cased."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_bytes(email: str) -> bytes:
    """The UTF-8 bytes of the normalised email: ``e`` in the spec."""
    return normalize_email(email).encode("utf-8")


def password_bytes(password: str) -> bytes:
    """NFKD then UTF-8: ``pw`` in the spec. Not trimmed: spaces may be part of a password."""
    return unicodedata.normalize("NFKD", password).encode("utf-8")
