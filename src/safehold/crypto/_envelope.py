"""The envelope: authenticated encryption of one value (spec §5).

envelope = 0x01 | nonce (12 random bytes) | AES-256-GCM(key, nonce, plaintext, ad)
"""

from __future__ import annotations

import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from ._errors import CryptoError, TamperedData

#: spec §5: the only envelope version.
VERSION = 0x01
#: spec §5: AES-GCM nonce length.
NONCE_LEN = 12
#: spec §5: AES-GCM tag length.
TAG_LEN = 16
#: spec §5: AES-256 key length.
KEY_LEN = 32
MIN_LEN = 1 + NONCE_LEN + TAG_LEN
_VERSION_BYTE = bytes([VERSION])


class EnvelopeKey:
    """A 32-byte key that seals and opens envelopes; keeps one cipher for many items."""

    __slots__ = ("_aead",)

    def __init__(self, key: bytes) -> None:
        if len(key) != KEY_LEN:
            raise CryptoError("an envelope key is 32 bytes")
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "EnvelopeKey(<secret>)"

    def seal(self, plaintext: bytes, ad: bytes, *, nonce: bytes | None = None) -> bytes:
        """Encrypt ``plaintext`` bound to the context ``ad``.

        ``nonce`` exists only so test vectors can be reproduced; leave it out in real use.
        """
        if nonce is None:
            nonce = os.urandom(NONCE_LEN)  # what secrets.token_bytes() returns, one call less
        elif len(nonce) != NONCE_LEN:
            raise CryptoError("an envelope nonce is 12 bytes")
        return b"".join((_VERSION_BYTE, nonce, self._aead.encrypt(nonce, plaintext, ad)))

    def open(self, envelope: bytes, ad: bytes) -> bytes:
        """Decrypt; :class:`TamperedData` for every failure (version, length, tag)."""
        if len(envelope) < MIN_LEN or envelope[0] != VERSION:
            raise TamperedData()
        try:
            return self._aead.decrypt(envelope[1 : 1 + NONCE_LEN], envelope[1 + NONCE_LEN :], ad)
        except InvalidTag:
            raise TamperedData() from None


def seal(key: bytes, plaintext: bytes, ad: bytes, *, nonce: bytes | None = None) -> bytes:
    """One-shot :meth:`EnvelopeKey.seal`."""
    return EnvelopeKey(key).seal(plaintext, ad, nonce=nonce)


def open_(key: bytes, envelope: bytes, ad: bytes) -> bytes:
    """One-shot :meth:`EnvelopeKey.open`."""
    return EnvelopeKey(key).open(envelope, ad)
