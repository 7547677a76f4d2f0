"""The crypto package's exceptions.

CryptoError
├── TamperedData          an envelope failed to open: wrong key, wrong context, or altered
├── AccountKeyError       an account key's text could not be read
│   ├── AccountKeyTypo    the checksum does not match: a character was mistyped
│   └── AccountKeyFormat  wrong length, unknown version or characters that are not allowed
├── RecoveryCodeError     a recovery code's text could not be read (spec §9.2)
│   ├── RecoveryCodeTypo
│   └── RecoveryCodeFormat
├── KdfParamsRejected     the server asked for Argon2id costs outside the client's bounds
├── SrpError              an SRP value was invalid or a proof did not match
├── KitError              an Emergency Kit URI could not be read
└── EncodingError         text is not the canonical base64url/hex form, or a value has no
                          canonical JSON form (also a ValueError)
"""

from __future__ import annotations


class CryptoError(Exception):
    """Base class of every error raised by :mod:`safehold.crypto`."""


class TamperedData(CryptoError):
    """The data could not be decrypted: it was altered, or the key or context is wrong.

    Deliberately one error for every way an envelope can be bad (spec §5), so a caller,
    and so an attacker, learns nothing about which check failed.
    """

    def __init__(self, message: str = "the data is damaged or was tampered with") -> None:
        super().__init__(message)


class AccountKeyError(CryptoError):
    """The text given as an account key could not be read."""


class AccountKeyTypo(AccountKeyError):
    """The account key's checksum does not match."""

    def __init__(self) -> None:
        super().__init__("that account key has a typo: check it against your Emergency Kit")


class AccountKeyFormat(AccountKeyError):
    """Wrong length, unknown version prefix, or characters outside the alphabet."""


class RecoveryCodeError(CryptoError):
    """The text given as a recovery code could not be read."""


class RecoveryCodeTypo(RecoveryCodeError):
    """The recovery code's checksum does not match."""

    def __init__(self) -> None:
        super().__init__("that recovery code has a typo: check it against what you wrote down")


class RecoveryCodeFormat(RecoveryCodeError):
    """Wrong length, unknown version prefix, an account key, or characters outside the alphabet."""


class KdfParamsRejected(CryptoError):
    """Argon2id parameters outside the bounds this client accepts (spec §3.2)."""


class SrpError(CryptoError):
    """An SRP value was out of range, or the other side's proof did not match."""


class KitError(CryptoError):
    """An Emergency Kit URI or QR payload could not be read."""


class EncodingError(CryptoError, ValueError):
    """A value is not in its one canonical text form (spec §1), or cannot be written as
    canonical JSON (spec §7).

    Also a :class:`ValueError`, so code that validates input with ``except ValueError``
    treats a malformed encoding like any other malformed input.
    """
