"""The recovery code (spec §9.2): 256 random bits that re-open the vault key without a reset.

Text form: ``SHR1-`` then 56 symbols of Crockford's base32 in fourteen groups of four: 52
for the secret, big-endian (the first symbol carries 4 bits), and 4 for a check value, the
secret mod 1048573 (the largest prime below 2^20). The prime is above 31, so (as for the
account key, spec §4) every single substitution and every neighbour swap changes the check.

    rk        = HKDF(ikm=rc, salt=account_id, info="safehold/v1/recovery-key",  len=32)
    ra        = HKDF(ikm=rc, salt=account_id, info="safehold/v1/recovery-auth", len=32)
    wrapped   = seal(rk, vk, "safehold/v1/recovery|" hex(account_id) "|" generation)
    auth_hash = SHA-256(ra)
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes

from ._account_key import PREFIX as ACCOUNT_KEY_PREFIX
from ._account_key import cleaned_text, foreign_symbols, grouped_text, symbols_value
from ._envelope import EnvelopeKey
from ._errors import RecoveryCodeFormat, RecoveryCodeTypo, TamperedData
from ._kdf import hkdf

#: spec §9.2: version prefix of the text form.
PREFIX = "SHR1"
#: spec §9.2: secret size in bytes.
SECRET_LEN = 32
#: spec §9.2: check modulus, the largest prime below 2^20.
CHECK_MODULUS = 1048573
DATA_SYMBOLS = 52
CHECK_SYMBOLS = 4
#: spec §9.2: HKDF info strings.
INFO_RECOVERY_KEY = b"safehold/v1/recovery-key"
INFO_RECOVERY_AUTH = b"safehold/v1/recovery-auth"
KEY_LEN = 32


@dataclass(frozen=True, slots=True)
class RecoveryCode:
    """A recovery code secret. ``repr`` never shows it."""

    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) != SECRET_LEN:
            raise RecoveryCodeFormat("a recovery code secret is 32 bytes")

    def __repr__(self) -> str:
        return "RecoveryCode(<secret>)"

    @classmethod
    def generate(cls) -> RecoveryCode:
        return cls(secrets.token_bytes(SECRET_LEN))

    def to_text(self) -> str:
        """``SHR1-XXXX-…``: the form shown once and printed on the kit's second page."""
        value = int.from_bytes(self.secret, "big")
        return grouped_text(PREFIX, value, DATA_SYMBOLS, value % CHECK_MODULUS, CHECK_SYMBOLS)

    @classmethod
    def parse(cls, text: str) -> RecoveryCode:
        """Read a code as a person typed it (any case, spaces and dashes anywhere, O for 0,
        I or L for 1). :class:`RecoveryCodeTypo` when the check fails,
        :class:`RecoveryCodeFormat` when the text is not shaped like a code."""
        cleaned = cleaned_text(text)
        total = DATA_SYMBOLS + CHECK_SYMBOLS
        if len(cleaned) == total + len(PREFIX):
            if not cleaned.startswith(PREFIX):
                if cleaned.startswith("SHR"):
                    raise RecoveryCodeFormat(
                        f"this recovery code is version {cleaned[3]!r}, which this Safehold "
                        "does not know; update Safehold"
                    )
                raise RecoveryCodeFormat("a recovery code starts with SHR1-")
            cleaned = cleaned[len(PREFIX) :]
        elif cleaned.startswith(ACCOUNT_KEY_PREFIX) and len(cleaned) == 31:
            raise RecoveryCodeFormat("that is an account key (SH1-…), not a recovery code (SHR1-…)")
        elif len(cleaned) != total:
            raise RecoveryCodeFormat(
                f"a recovery code has {total} characters after SHR1- (not counting dashes); "
                f"this one has {len(cleaned.removeprefix(PREFIX))}"
            )
        bad = foreign_symbols(cleaned)
        if bad:
            raise RecoveryCodeFormat(
                f"{', '.join(repr(c) for c in bad)} cannot appear in a recovery code: check it again"
            )
        value, check = symbols_value(cleaned[:DATA_SYMBOLS]), symbols_value(cleaned[DATA_SYMBOLS:])
        if value >> (8 * SECRET_LEN) or check != value % CHECK_MODULUS:
            raise RecoveryCodeTypo()
        return cls(value.to_bytes(SECRET_LEN, "big"))


def recovery_ad(account_id: bytes, generation: int) -> bytes:
    return f"safehold/v1/recovery|{account_id.hex()}|{generation}".encode()


def _sha256(data: bytes) -> bytes:
    digest = hashes.Hash(hashes.SHA256())
    digest.update(data)
    return digest.finalize()


@dataclass(frozen=True, slots=True)
class RecoveryKeys:
    """``rk`` (wraps the vault key; never leaves the client) and ``ra`` (sent once, when the
    code is used). ``repr`` shows neither."""

    rk: bytes
    ra: bytes

    def __repr__(self) -> str:
        return "RecoveryKeys(<secret>)"

    @property
    def auth_hash(self) -> bytes:
        """``SHA-256(ra)``: what the server stores to check the code."""
        return _sha256(self.ra)


def recovery_keys(code: RecoveryCode, account_id: bytes) -> RecoveryKeys:
    return RecoveryKeys(
        rk=hkdf(code.secret, account_id, INFO_RECOVERY_KEY, KEY_LEN),
        ra=hkdf(code.secret, account_id, INFO_RECOVERY_AUTH, KEY_LEN),
    )


def seal_recovery(
    keys: RecoveryKeys, vk: bytes, account_id: bytes, generation: int, *, nonce: bytes | None = None
) -> bytes:
    """``wrapped``: the vault key under ``rk`` (``nonce`` only for test vectors)."""
    return EnvelopeKey(keys.rk).seal(vk, recovery_ad(account_id, generation), nonce=nonce)


def open_recovery(keys: RecoveryKeys, wrapped: bytes, account_id: bytes, generation: int) -> bytes:
    """The vault key; :class:`TamperedData` for every failure, and for a value that is not
    32 bytes (spec §9.2, as for the keyset)."""
    vk = EnvelopeKey(keys.rk).open(wrapped, recovery_ad(account_id, generation))
    if len(vk) != KEY_LEN:
        raise TamperedData()
    return vk


def recovery_auth_matches(ra: bytes, auth_hash: bytes) -> bool:
    """The server's check: ``SHA-256(ra) == auth_hash``, in constant time."""
    return hmac.compare_digest(_sha256(ra), auth_hash)
