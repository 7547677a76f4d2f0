"""The account key: 128 random bits, written as text a person can copy (spec §4).

Text form: ``SH1-`` then 28 symbols of Crockford's base32 in seven groups of four. The first
26 symbols are the 128-bit secret, big-endian (the first symbol carries only 2 bits); the
last 2 are a check value, the secret mod 37 written as two base32 symbols. Because 37 is a
prime that divides neither 32**k nor 31 * 32**k, every single substituted symbol and every
swap of two neighbours changes the check, including swaps across the data/check boundary.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from ._errors import AccountKeyFormat, AccountKeyTypo
from ._kdf import hkdf

#: spec §4: version prefix of the text form.
PREFIX = "SH1"
#: spec §4: secret size in bytes.
SECRET_LEN = 16
#: spec §4: Crockford's base32 alphabet.
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
#: spec §4: check modulus.
CHECK_MODULUS = 37
DATA_SYMBOLS = 26
CHECK_SYMBOLS = 2
GROUP = 4
_ALIASES = {"O": "0", "I": "1", "L": "1"}
_VALUE = {c: i for i, c in enumerate(ALPHABET)}


def _check_value(secret_int: int) -> int:
    return secret_int % CHECK_MODULUS


def _symbols(value: int, count: int) -> str:
    out = []
    for _ in range(count):
        out.append(ALPHABET[value & 31])
        value >>= 5
    return "".join(reversed(out))


# The text form's pieces, shared with the recovery code (_recovery.py, spec §9.2), which is
# written the same way with other sizes, another check modulus and another prefix.


def grouped_text(prefix: str, value: int, data_symbols: int, check: int, check_symbols: int) -> str:
    """``PREFIX-XXXX-…``: the data symbols then the check symbols, in groups of four."""
    body = _symbols(value, data_symbols) + _symbols(check, check_symbols)
    return "-".join([prefix, *(body[i : i + GROUP] for i in range(0, len(body), GROUP))])


def cleaned_text(text: str) -> str:
    """What a person typed, read kindly: any case, spaces and dashes anywhere, O for 0 and
    I or L for 1."""
    cleaned = "".join(ch for ch in text.upper() if ch not in " -\t\r\n")
    return "".join(_ALIASES.get(ch, ch) for ch in cleaned)


def foreign_symbols(cleaned: str) -> list[str]:
    """The characters of ``cleaned`` that are not in the alphabet, each once, sorted."""
    return sorted({ch for ch in cleaned if ch not in _VALUE})


def symbols_value(symbols: str) -> int:
    """The big-endian number ``symbols`` (all in the alphabet) stand for."""
    value = 0
    for ch in symbols:
        value = (value << 5) | _VALUE[ch]
    return value


@dataclass(frozen=True, slots=True)
class AccountKey:
    """An account key secret. ``repr`` never shows it."""

    secret: bytes

    def __post_init__(self) -> None:
        if not isinstance(self.secret, bytes) or len(self.secret) != SECRET_LEN:
            raise AccountKeyFormat("an account key secret is 16 bytes")

    def __repr__(self) -> str:
        return "AccountKey(<secret>)"

    @classmethod
    def generate(cls) -> AccountKey:
        """A new key from the operating system's CSPRNG."""
        return cls(secrets.token_bytes(SECRET_LEN))

    def to_text(self) -> str:
        """``SH1-XXXX-…``: the form printed on the Emergency Kit."""
        value = int.from_bytes(self.secret, "big")
        return grouped_text(PREFIX, value, DATA_SYMBOLS, _check_value(value), CHECK_SYMBOLS)

    @classmethod
    def parse(cls, text: str) -> AccountKey:
        """Read a key as a person typed it: any case, spaces and dashes anywhere, O for 0 and
        I or L for 1. Raises :class:`AccountKeyTypo` when the checksum fails and
        :class:`AccountKeyFormat` when the text is not shaped like a key at all."""
        cleaned = cleaned_text(text)
        total = DATA_SYMBOLS + CHECK_SYMBOLS
        if len(cleaned) == total + len(PREFIX):
            if not cleaned.startswith(PREFIX):
                if cleaned.startswith("SH"):
                    raise AccountKeyFormat(
                        f"this account key is version {cleaned[2]!r}, which this Safehold "
                        "does not know; update Safehold"
                    )
                raise AccountKeyFormat("an account key starts with SH1-")
            cleaned = cleaned[len(PREFIX) :]
        elif len(cleaned) != total:
            raise AccountKeyFormat(
                f"an account key has {total} characters after SH1- (not counting dashes); "
                f"this one has {len(cleaned.removeprefix(PREFIX))}"
            )
        bad = foreign_symbols(cleaned)
        if bad:
            raise AccountKeyFormat(
                f"{', '.join(repr(c) for c in bad)} cannot appear in an account key: "
                "check it against your Emergency Kit"
            )
        value, check = symbols_value(cleaned[:DATA_SYMBOLS]), symbols_value(cleaned[DATA_SYMBOLS:])
        if value >> (8 * SECRET_LEN) or check != _check_value(value):
            raise AccountKeyTypo()
        return cls(value.to_bytes(SECRET_LEN, "big"))


#: spec/folder.md §3: the label of a folder header's account-key check value.
KEY_CHECK_INFO = b"safehold/folder/v1/key-check|"
KEY_CHECK_LEN = 16


def account_key_check(key: AccountKey, account_id: bytes) -> bytes:
    """spec/folder.md §3: ``HKDF-SHA256(ikm=secret, salt=none, info=label | hex(account_id), 16)``.

    A folder header keeps it so a device tells a wrong account key from a wrong password
    before running Argon2id. The key is 128 random bits, so the check value helps no one
    guess it; and it says nothing about the password."""
    return hkdf(key.secret, None, KEY_CHECK_INFO + account_id.hex().encode(), KEY_CHECK_LEN)
