"""Encrypted backups (spec/backup.md): the format, and the three ways to open one.

A backup's items are sealed under a fresh backup key ``bk``; ``bk`` is wrapped under the
vault key (which a password change does not change) and, optionally, under a password of
the backup's own (which outlives a reset). The file also carries the keyset of its day,
so the account password and account key of that day open it without any server.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from safehold.crypto import (
    DEFAULT_PARAMS,
    AccountKey,
    CryptoError,
    KdfParams,
    KdfPolicy,
    TamperedData,
    b64decode,
    b64encode,
    backup_password_key,
    canonical_json,
    derive_keys,
    open_,
    open_keyset,
    seal,
)

__all__ = [
    "BACKUP_FORMAT",
    "BACKUP_VERSION",
    "AccountState",
    "BackupContents",
    "BackupDamaged",
    "BackupError",
    "BackupInfo",
    "BackupUnknownVersion",
    "BackupWontOpen",
    "make_backup",
    "open_with_account",
    "open_with_password",
    "open_with_vault_key",
    "read_info",
]

BACKUP_FORMAT: Final = "safehold-backup"
BACKUP_VERSION: Final = 1
_PAYLOAD_AD: Final = "safehold/v1/backup|"
_VAULT_WRAP_AD: Final = "safehold/v1/backup-key|vault|"
_PASSWORD_WRAP_AD: Final = "safehold/v1/backup-key|password|"
_WONT_OPEN: Final = "the backup did not open: wrong key or password, or the file was changed"


class BackupError(Exception):
    """Base of what reading a backup reports; the message is for a person."""


class BackupDamaged(BackupError):
    """Not a backup, or one with a missing or malformed field."""


class BackupUnknownVersion(BackupError):
    """A backup format version this Safehold does not read."""


class BackupWontOpen(BackupError):
    """Wrong password or key, another account's vault, or a changed byte: deliberately
    one error that does not say which (spec/backup.md §4)."""


@dataclass(frozen=True, slots=True)
class AccountState:
    """What a backup records about the account of its day (spec/backup.md §2)."""

    account_id: str
    email: str
    generation: int
    kdf_salt: bytes
    kdf_params: KdfParams
    keyset: bytes


@dataclass(frozen=True, slots=True)
class BackupInfo:
    """A backup's claims, readable without opening it (not to be trusted)."""

    backup_id: str
    created: str
    account_id: str
    email: str
    generation: int
    items: int
    has_password: bool


@dataclass(frozen=True, slots=True)
class BackupContents:
    info: BackupInfo
    #: (item id, item JSON) pairs, user-defined types included.
    items: list[tuple[str, dict[str, Any]]]
    #: How it was opened: "vault-key", "password" or "account".
    opened_with: str


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _params_json(params: KdfParams) -> dict[str, int]:
    return {"t": params.t, "m_kib": params.m_kib, "p": params.p}


def make_backup(
    account: AccountState,
    vk: bytes,
    items: Sequence[tuple[str, dict[str, Any]]],
    *,
    password: str | None = None,
    password_params: KdfParams = DEFAULT_PARAMS,
    policy: KdfPolicy | None = None,
    created: str | None = None,
    _fixed: dict[str, bytes] | None = None,
) -> bytes:
    """The backup file's bytes. ``_fixed`` (vectors only) supplies ``bk``, ``id``, ``salt``
    and the three nonces so that the output is reproducible."""
    fixed = _fixed or {}
    bk = fixed.get("bk") or secrets.token_bytes(32)
    backup_id = (fixed.get("id") or secrets.token_bytes(16)).hex()
    created = created or _now()
    contents = {
        "account_id": account.account_id,
        "generation": account.generation,
        "created": created,
        "items": [{"id": item_id, "item": item} for item_id, item in items],
    }
    payload = seal(bk, canonical_json(contents), (_PAYLOAD_AD + backup_id).encode(), nonce=fixed.get("n1"))
    vault_ad = f"{_VAULT_WRAP_AD}{account.account_id}|{backup_id}".encode()
    wraps: list[dict[str, Any]] = [
        {
            "kind": "vault-key",
            "sealed": b64encode(seal(vk, bk, vault_ad, nonce=fixed.get("n2"))),
        }
    ]
    if password is not None:
        salt = fixed.get("salt") or secrets.token_bytes(16)
        kb = backup_password_key(password, salt, password_params, policy)
        wraps.append(
            {
                "kind": "password",
                "salt": b64encode(salt),
                "kdf_params": _params_json(password_params),
                "sealed": b64encode(
                    seal(kb, bk, (_PASSWORD_WRAP_AD + backup_id).encode(), nonce=fixed.get("n3"))
                ),
            }
        )
    document = {
        "format": BACKUP_FORMAT,
        "version": BACKUP_VERSION,
        "id": backup_id,
        "created": created,
        "account_id": account.account_id,
        "email": account.email,
        "generation": account.generation,
        "items": sum(1 for _, item in items if item.get("type") != "__template__"),
        "kdf_salt": b64encode(account.kdf_salt),
        "kdf_params": _params_json(account.kdf_params),
        "keyset": b64encode(account.keyset),
        "wraps": wraps,
        "payload": b64encode(payload),
    }
    return (json.dumps(document, indent=1, sort_keys=True) + "\n").encode("utf-8")


# --- reading ----------------------------------------------------------------------------


def _load(data: bytes) -> dict[str, Any]:
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise BackupDamaged("this file is not a Safehold backup (not JSON)") from None
    if not isinstance(document, dict) or document.get("format") != BACKUP_FORMAT:
        raise BackupDamaged("this file is not a Safehold backup")
    version = document.get("version")
    if type(version) is not int:
        raise BackupDamaged("the backup's version is missing")
    if version != BACKUP_VERSION:
        raise BackupUnknownVersion(f"backup format version {version} is not one this Safehold reads (1)")
    return document


def _field(document: dict[str, Any], key: str, kind: type[Any]) -> Any:
    value = document.get(key)
    if type(value) is not kind:
        raise BackupDamaged(f"the backup is damaged: {key!r} is missing or malformed")
    return value


def _hex16(document: dict[str, Any], key: str) -> str:
    value = _field(document, key, str)
    if len(value) != 32 or value.strip("0123456789abcdef"):
        raise BackupDamaged(f"the backup is damaged: {key!r} is not an id")
    return str(value)


def _b64(document: dict[str, Any], key: str) -> bytes:
    try:
        return b64decode(_field(document, key, str))
    except ValueError:
        raise BackupDamaged(f"the backup is damaged: {key!r} is not base64url") from None


def _params(raw: Any) -> KdfParams:
    if not isinstance(raw, dict) or any(type(raw.get(k)) is not int for k in ("t", "m_kib", "p")):
        raise BackupDamaged("the backup is damaged: its Argon2id parameters are malformed")
    return KdfParams(t=raw["t"], m_kib=raw["m_kib"], p=raw["p"])


def _wraps(document: dict[str, Any]) -> list[dict[str, Any]]:
    wraps: list[dict[str, Any]] = _field(document, "wraps", list)
    if not all(isinstance(w, dict) and isinstance(w.get("kind"), str) for w in wraps):
        raise BackupDamaged("the backup is damaged: its key wraps are malformed")
    return wraps


def read_info(data: bytes) -> BackupInfo:
    document = _load(data)
    return BackupInfo(
        backup_id=_hex16(document, "id"),
        created=_field(document, "created", str),
        account_id=_hex16(document, "account_id"),
        email=_field(document, "email", str),
        generation=_field(document, "generation", int),
        items=_field(document, "items", int),
        has_password=any(w["kind"] == "password" for w in _wraps(document)),
    )


def _open_payload(document: dict[str, Any], info: BackupInfo, bk: bytes, how: str) -> BackupContents:
    try:
        plain = open_(bk, _b64(document, "payload"), (_PAYLOAD_AD + info.backup_id).encode())
        contents = json.loads(plain.decode("utf-8"))
    except (TamperedData, UnicodeDecodeError, ValueError):
        raise BackupWontOpen(_WONT_OPEN) from None
    if (
        not isinstance(contents, dict)
        or contents.get("account_id") != info.account_id
        or contents.get("generation") != info.generation
        or contents.get("created") != info.created
        or not isinstance(contents.get("items"), list)
    ):
        raise BackupWontOpen(_WONT_OPEN)
    items: list[tuple[str, dict[str, Any]]] = []
    for entry in contents["items"]:
        well_formed = isinstance(entry, dict) and isinstance(entry.get("id"), str)
        if not (well_formed and isinstance(entry.get("item"), dict)):
            raise BackupDamaged("the backup is damaged: an item entry is malformed")
        items.append((entry["id"], entry["item"]))
    return BackupContents(info=info, items=items, opened_with=how)


def _unwrap(document: dict[str, Any], kind: str, key: bytes, ad: str) -> bytes:
    for wrap in _wraps(document):
        if wrap["kind"] != kind:
            continue
        try:
            return open_(key, _b64(wrap, "sealed"), ad.encode())
        except TamperedData:
            break
    raise BackupWontOpen(_WONT_OPEN)


def open_with_vault_key(data: bytes, vk: bytes) -> BackupContents:
    """With the vault key of an unlocked vault of the same account (any password since)."""
    document = _load(data)
    info = read_info(data)
    bk = _unwrap(document, "vault-key", vk, f"{_VAULT_WRAP_AD}{info.account_id}|{info.backup_id}")
    return _open_payload(document, info, bk, "vault-key")


def open_with_password(data: bytes, password: str, policy: KdfPolicy | None = None) -> BackupContents:
    """With the backup's own password (``safehold backup --password``)."""
    document = _load(data)
    info = read_info(data)
    wrap = next((w for w in _wraps(document) if w["kind"] == "password"), None)
    if wrap is None:
        raise BackupWontOpen("this backup has no password of its own")
    try:
        kb = backup_password_key(password, _b64(wrap, "salt"), _params(wrap.get("kdf_params")), policy)
    except CryptoError as exc:
        raise BackupDamaged(f"the backup's password parameters are refused: {exc}") from None
    bk = _unwrap(document, "password", kb, _PASSWORD_WRAP_AD + info.backup_id)
    return _open_payload(document, info, bk, "password")


def open_with_account(
    data: bytes, password: str, account_key: AccountKey, policy: KdfPolicy | None = None
) -> BackupContents:
    """With the account password and account key of the backup's day (no server needed)."""
    document = _load(data)
    info = read_info(data)
    try:
        keys = derive_keys(
            email=info.email,
            password=password,
            account_key_secret=account_key.secret,
            account_id=bytes.fromhex(info.account_id),
            kdf_salt=_b64(document, "kdf_salt"),
            params=_params(document.get("kdf_params")),
            policy=policy,
        )
        vk = open_keyset(keys.auk, _b64(document, "keyset"), bytes.fromhex(info.account_id), info.generation)
    except TamperedData:
        raise BackupWontOpen(_WONT_OPEN) from None
    except CryptoError as exc:
        raise BackupDamaged(f"the backup's account parameters are refused: {exc}") from None
    contents = open_with_vault_key(data, vk)
    return BackupContents(info=contents.info, items=contents.items, opened_with="account")
