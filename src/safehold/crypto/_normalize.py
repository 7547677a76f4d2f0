"""Normalisation of the user's inputs before any derivation (spec §2).

Two devices must derive the same keys from what a person considers "the same" email and
password, whatever keyboard or operating system produced the characters.
"""

from __future__ import annotations

import unicodedata

from ._errors import EncodingError


def _utf8(text: str, what: str) -> bytes:
    try:
        return text.encode("utf-8")
    except UnicodeEncodeError:
        # A lone surrogate, e.g. from undecodable bytes in a command line: it has no UTF-8
        # form, so no key could be derived from it on any device.
        raise EncodingError(f"the {what} contains characters that are not valid Unicode") from None


def normalize_email(email: str) -> str:
    """NFKC, surrounding white space removed, lower-cased."""
    return unicodedata.normalize("NFKC", email).strip().lower()


def email_bytes(email: str) -> bytes:
    """The UTF-8 bytes of the normalised email: ``e`` in the spec."""
    return _utf8(normalize_email(email), "email")


def password_bytes(password: str) -> bytes:
    """NFKD then UTF-8: ``pw`` in the spec. Not trimmed: spaces may be part of a password."""
    return _utf8(unicodedata.normalize("NFKD", password), "password")
