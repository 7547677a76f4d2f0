"""Key derivation: one Argon2id run and two secrets (spec §3).

s   = HKDF(ikm=kdf_salt, salt=e, info="safehold/v1/kdf-salt", len=16)
kp  = Argon2id(pw, salt=s, iterations=t, memory_cost=m_kib, lanes=p, len=32)
ka  = HKDF(ikm=account_key_secret, salt=account_id, info="safehold/v1/account-key", len=32)
mk  = kp XOR ka
auk = HKDF(ikm=mk, salt=none, info="safehold/v1/auk", len=32)
x   = int(HKDF(ikm=mk, salt=none, info="safehold/v1/srp-x", len=32))
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.argon2 import Argon2id
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from ._errors import CryptoError, KdfParamsRejected
from ._normalize import email_bytes, password_bytes

#: spec §3.1: HKDF info strings.
INFO_KDF_SALT = b"safehold/v1/kdf-salt"
INFO_ACCOUNT_KEY = b"safehold/v1/account-key"
INFO_AUK = b"safehold/v1/auk"
INFO_SRP_X = b"safehold/v1/srp-x"
#: spec §3.1: lengths.
KDF_SALT_LEN = 16
ACCOUNT_ID_LEN = 16
KEY_LEN = 32


def hkdf(ikm: bytes, salt: bytes | None, info: bytes, length: int) -> bytes:
    """HKDF-SHA256 (RFC 5869)."""
    return HKDF(algorithm=hashes.SHA256(), length=length, salt=salt, info=info).derive(ikm)


@dataclass(frozen=True, slots=True)
class KdfParams:
    """Argon2id cost: ``t`` iterations, ``m_kib`` KiB of memory, ``p`` lanes (spec §3.2)."""

    t: int = 3
    m_kib: int = 65536
    p: int = 4


#: spec §3.2: the defaults for new accounts.
DEFAULT_PARAMS = KdfParams()


@dataclass(frozen=True, slots=True)
class KdfPolicy:
    """What a client accepts from a server (spec §3.2).

    The floor is the client's own setting, so a malicious server cannot downgrade the cost;
    the ceilings stop it from exhausting the device. Tests lower the floor here, never
    through anything a server sends.
    """

    floor: KdfParams = DEFAULT_PARAMS
    max_t: int = 20
    max_m_kib: int = 1024 * 1024
    max_p: int = 16

    def check(self, params: KdfParams) -> KdfParams:
        """Return ``params`` if acceptable, else raise :class:`KdfParamsRejected`."""
        if params.t < self.floor.t or params.m_kib < self.floor.m_kib or params.p < self.floor.p:
            raise KdfParamsRejected(
                f"the server asked for a weaker password hashing cost (t={params.t}, "
                f"m={params.m_kib} KiB, p={params.p}) than this device accepts "
                f"(t≥{self.floor.t}, m≥{self.floor.m_kib} KiB, p≥{self.floor.p}); "
                "refusing to derive keys"
            )
        if params.t > self.max_t or params.m_kib > self.max_m_kib or params.p > self.max_p:
            raise KdfParamsRejected(
                f"the server asked for an excessive password hashing cost (t={params.t}, "
                f"m={params.m_kib} KiB, p={params.p}); refusing to derive keys"
            )
        if params.m_kib < 8 * params.p:
            raise KdfParamsRejected("Argon2id needs at least 8 KiB of memory per lane")
        return params


@dataclass(frozen=True, slots=True)
class DerivedKeys:
    """Everything derived from the password and the account key. Never sent anywhere."""

    argon2_salt: bytes
    kp: bytes
    ka: bytes
    auk: bytes
    srp_x: int

    def __repr__(self) -> str:
        return "DerivedKeys(<secret>)"


def new_kdf_salt() -> bytes:
    return secrets.token_bytes(KDF_SALT_LEN)


def argon2_salt(email: str, kdf_salt: bytes) -> bytes:
    """``s``: binds the server's salt to the account's email."""
    return hkdf(kdf_salt, email_bytes(email), INFO_KDF_SALT, 16)


def password_key(password: str, salt: bytes, params: KdfParams) -> bytes:
    """``kp``: the one expensive step."""
    return Argon2id(
        salt=salt, length=KEY_LEN, iterations=params.t, lanes=params.p, memory_cost=params.m_kib
    ).derive(password_bytes(password))


#: spec/backup.md §3: the key from a backup's password of its own.
INFO_BACKUP_PASSWORD = b"safehold/v1/backup-password"


def backup_password_key(
    password: str, salt: bytes, params: KdfParams, policy: KdfPolicy | None = None
) -> bytes:
    """The key a backup password gives (spec/backup.md §3): Argon2id over the normalised
    password with the backup's own salt, then HKDF. ``params`` are checked against
    ``policy`` first, since they come from a file anyone may have written."""
    (policy or KdfPolicy()).check(params)
    if len(salt) != KDF_SALT_LEN:
        raise CryptoError("a backup password salt is 16 bytes")
    return hkdf(password_key(password, salt, params), None, INFO_BACKUP_PASSWORD, KEY_LEN)


def account_key_part(account_key_secret: bytes, account_id: bytes) -> bytes:
    """``ka``."""
    return hkdf(account_key_secret, account_id, INFO_ACCOUNT_KEY, KEY_LEN)


def derive_keys(
    *,
    email: str,
    password: str,
    account_key_secret: bytes,
    account_id: bytes,
    kdf_salt: bytes,
    params: KdfParams,
    policy: KdfPolicy | None = None,
) -> DerivedKeys:
    """Derive ``auk`` and the SRP ``x`` (spec §3.1), after checking ``params`` against
    ``policy`` (the default policy unless the caller passes its own)."""
    (policy or KdfPolicy()).check(params)
    if len(account_id) != ACCOUNT_ID_LEN or len(kdf_salt) != KDF_SALT_LEN:
        raise CryptoError("account_id and kdf_salt are 16 bytes each")
    s = argon2_salt(email, kdf_salt)
    kp = password_key(password, s, params)
    ka = account_key_part(account_key_secret, account_id)
    mk = bytes(a ^ b for a, b in zip(kp, ka, strict=True))
    auk = hkdf(mk, None, INFO_AUK, KEY_LEN)
    x = int.from_bytes(hkdf(mk, None, INFO_SRP_X, KEY_LEN), "big")
    return DerivedKeys(argon2_salt=s, kp=kp, ka=ka, auk=auk, srp_x=x)
