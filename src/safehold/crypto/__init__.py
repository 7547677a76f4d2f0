"""Safehold's protocol, version 1 (``spec/protocol.md``): the only place that touches keys.

The safe layer. Client and server import these names and nothing deeper; every primitive
comes from pyca/cryptography. Pure functions and small state objects: no I/O, no globals.

    CryptoError
    ├── TamperedData
    ├── AccountKeyError
    │   ├── AccountKeyTypo
    │   └── AccountKeyFormat
    ├── RecoveryCodeError
    │   ├── RecoveryCodeTypo
    │   └── RecoveryCodeFormat
    ├── KdfParamsRejected
    ├── SrpError
    ├── KitError
    └── EncodingError (also a ValueError)
"""

from ._account_key import AccountKey, account_key_check
from ._encoding import b64decode, b64encode, hex_to_int, int_to_hex
from ._envelope import EnvelopeKey, open_, seal
from ._errors import (
    AccountKeyError,
    AccountKeyFormat,
    AccountKeyTypo,
    CryptoError,
    EncodingError,
    KdfParamsRejected,
    KitError,
    RecoveryCodeError,
    RecoveryCodeFormat,
    RecoveryCodeTypo,
    SrpError,
    TamperedData,
)
from ._kdf import (
    DEFAULT_PARAMS,
    DerivedKeys,
    KdfParams,
    KdfPolicy,
    backup_password_key,
    derive_keys,
    hkdf,
    new_kdf_salt,
)
from ._keys import (
    VaultCipher,
    canonical_json,
    item_ad,
    keyset_ad,
    new_item_id,
    new_vault_key,
    open_keyset,
    seal_keyset,
)
from ._kit import KitPayload
from ._normalize import email_bytes, normalize_email, password_bytes
from ._recovery import (
    RecoveryCode,
    RecoveryKeys,
    open_recovery,
    recovery_ad,
    recovery_auth_matches,
    recovery_keys,
    seal_recovery,
)
from ._srp import GROUP_3072, SrpClient, SrpGroup, SrpServer, verifier
from ._writes import (
    OpenedWrite,
    WriteCipher,
    WriteClaims,
    pad,
    padded_length,
    parse_prev,
    prev_ref,
    unpad,
    write_ad,
)

__all__ = [
    "DEFAULT_PARAMS",
    "GROUP_3072",
    "AccountKey",
    "AccountKeyError",
    "AccountKeyFormat",
    "AccountKeyTypo",
    "CryptoError",
    "DerivedKeys",
    "EncodingError",
    "EnvelopeKey",
    "KdfParams",
    "KdfParamsRejected",
    "KdfPolicy",
    "KitError",
    "KitPayload",
    "OpenedWrite",
    "RecoveryCode",
    "RecoveryCodeError",
    "RecoveryCodeFormat",
    "RecoveryCodeTypo",
    "RecoveryKeys",
    "SrpClient",
    "SrpError",
    "SrpGroup",
    "SrpServer",
    "TamperedData",
    "VaultCipher",
    "WriteCipher",
    "WriteClaims",
    "account_key_check",
    "b64decode",
    "b64encode",
    "backup_password_key",
    "canonical_json",
    "derive_keys",
    "email_bytes",
    "hex_to_int",
    "hkdf",
    "int_to_hex",
    "item_ad",
    "keyset_ad",
    "new_item_id",
    "new_kdf_salt",
    "new_vault_key",
    "normalize_email",
    "open_",
    "open_keyset",
    "open_recovery",
    "pad",
    "padded_length",
    "parse_prev",
    "password_bytes",
    "prev_ref",
    "recovery_ad",
    "recovery_auth_matches",
    "recovery_keys",
    "seal",
    "seal_keyset",
    "seal_recovery",
    "unpad",
    "verifier",
    "write_ad",
]
