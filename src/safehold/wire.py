"""Request and response models shared by the Safehold client and server.

This module is the HTTP API's contract (see ``spec/api.md``). Both sides import it;
neither imports the other. Encodings on the wire:

* ids (``account_id``, ``item_id``, ``device_id``): 32 lowercase hex characters;
* salts, wrapped keysets and item envelopes: base64url without padding;
* SRP integers (``verifier``, ``A``, ``B``) and proofs (``M1``, ``M2``): lowercase hex;
* times: ISO 8601 in UTC.

Every error response has the body ``{"error": {"code": ..., "message": ..., ...}}``
(:class:`ErrorBody`); ``code`` is one of :class:`ErrorCode`.
"""

from __future__ import annotations

import unicodedata
from datetime import datetime
from enum import StrEnum
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, model_validator
from pydantic_core import PydanticCustomError

from safehold import limits
from safehold.crypto import normalize_email

API_PREFIX = "/api/v1"
#: Header that every vault request carries: the account generation the client knows.
GENERATION_HEADER = "Safehold-Generation"
#: Sessions are bearer tokens: ``Authorization: Bearer <token>``.
AUTH_SCHEME = "Bearer"
#: The default limit on one item envelope (see ``safehold.limits``).
MAX_ENVELOPE_CHARS = limits.MAX_ENVELOPE_CHARS

HexId = Annotated[str, Field(pattern=r"^[0-9a-f]{32}$", examples=["0123456789abcdef0123456789abcdef"])]
B64 = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]*$", max_length=1_500_000)]
HexInt = Annotated[str, Field(pattern=r"^[0-9a-f]{1,1024}$")]
#: Longest email address, counted after normalisation (RFC 5321 path limit).
EMAIL_MAX = 254
#: Characters an addr-spec never needs and a mail header or a list must never get.
_EMAIL_FORBIDDEN = frozenset(',<>();:"[]\\')


def _is_control(ch: str) -> bool:
    """C0/C1 controls (NUL included), and lone surrogates that UTF-8 cannot encode."""
    return unicodedata.category(ch) in {"Cc", "Cs"}


#: Invisible characters that change how the text around them is shown: bidi embeddings,
#: overrides, isolates and marks (U+202E makes "gpj.exe" read "exe.jpg") and zero-width
#: spaces. A device name or hint is shown on the reset page and in mails, where such a
#: character could make one name pass for another. The zero-width joiner and non-joiner
#: (U+200C, U+200D) stay allowed: Persian and Indic names and emoji sequences need them.
_SPOOFING = frozenset(
    "\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2060\u2066\u2067\u2068\u2069\ufeff"
)


def _is_spoofing(ch: str) -> bool:
    return ch in _SPOOFING


def clean_email(value: str) -> str:
    """The normalised address (spec/protocol.md §2) if it is a plausible addr-spec.

    Raises ``ValueError`` naming the rule broken, never the value: a local part and a
    domain around exactly one ``@``, at most 254 characters once normalised, no white
    space, control character or any of ``, < > ( ) ; : " [ ] \\``.
    """
    normalized = normalize_email(value) if not any(_is_control(ch) for ch in value) else None
    if normalized is None or any(_is_control(ch) or ch.isspace() for ch in normalized):
        raise ValueError("an email address may not contain white space or control characters")
    # An address has no use for any invisible formatting character (category Cf).
    if any(unicodedata.category(ch) == "Cf" for ch in normalized):
        raise ValueError("an email address may not contain invisible formatting characters")
    if len(normalized) > EMAIL_MAX:
        raise ValueError(f"an email address may be at most {EMAIL_MAX} characters")
    if any(ch in _EMAIL_FORBIDDEN for ch in normalized):
        raise ValueError('an email address may not contain any of , < > ( ) ; : " [ ] \\')
    local, at, domain = normalized.partition("@")
    if not at or not local or not domain or "@" in domain:
        raise ValueError("an email address needs exactly one @ with text on both sides")
    return normalized


def _email(value: str) -> str:
    try:
        return clean_email(value)
    except ValueError as exc:
        raise PydanticCustomError("email", str(exc)) from None


def _text(value: str) -> str:
    if any(_is_control(ch) for ch in value):
        raise PydanticCustomError("text", "may not contain control characters")
    if any(_is_spoofing(ch) for ch in value):
        raise PydanticCustomError("text", "may not contain bidirectional or zero-width formatting characters")
    return value


#: Normalised on validation: ``Alice@Example.COM `` arrives as ``alice@example.com``.
Email = Annotated[str, Field(max_length=4 * EMAIL_MAX), AfterValidator(_email)]
#: Free text a person typed (names, hints): bounded, and no control characters.
DeviceName = Annotated[str, Field(min_length=1, max_length=100), AfterValidator(_text)]
Hint = Annotated[str, Field(max_length=200), AfterValidator(_text)]
#: The handle /auth/start hands out (``secrets.token_urlsafe``).
LoginId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{1,100}$")]
#: Strict: ``"3"`` or ``3.0`` is not accepted where the protocol says a number.
StrictInt = Annotated[int, Strict()]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ErrorCode(StrEnum):
    INVALID_REQUEST = "invalid_request"  # 422, 400
    AUTH_FAILED = "auth_failed"  # 401: "email or password incorrect"
    UNAUTHENTICATED = "unauthenticated"  # 401: no or unknown session token
    SESSION_REVOKED = "session_revoked"  # 401: the device was revoked
    ACCOUNT_RESET = "account_reset"  # 410: the account was reset; see reset_at
    CONFLICT = "conflict"  # 409: the item moved on; see current
    NOT_FOUND = "not_found"  # 404
    EMAIL_TAKEN = "email_taken"  # 409 at sign-up
    SIGNUPS_CLOSED = "signups_closed"  # 403 at sign-up: by invitation only, and not invited
    EMAIL_UNVERIFIED = "email_unverified"  # 403: the account's address is not confirmed yet
    TOO_MANY_REQUESTS = "too_many_requests"  # 429; see retry_after
    PAYLOAD_TOO_LARGE = "payload_too_large"  # 413
    QUOTA_EXCEEDED = "quota_exceeded"  # 422: too many items
    TOKEN_INVALID = "token_invalid"  # 404: reset link unknown or forged
    TOKEN_EXPIRED = "token_expired"  # 410: reset link older than its lifetime
    TOKEN_USED = "token_used"  # 410: reset link already used
    RECOVERY_CODE_WRONG = "recovery_code_wrong"  # 401: wrong recovery code, or none in force
    UNAVAILABLE = "unavailable"  # 503: /healthz, the database cannot be reached
    INTERNAL = "internal"  # 500, never expected


class ErrorDetail(BaseModel):
    model_config = ConfigDict(extra="allow")

    code: ErrorCode
    message: str
    #: For 429: seconds to wait.
    retry_after: float | None = None
    #: For 410 account_reset: when the reset happened and the generation now in force.
    reset_at: datetime | None = None
    generation: int | None = None
    #: For 422: the offending field, dotted.
    field: str | None = None
    #: For 401 session_revoked: how the session ended: ``device_revoked``, ``logout`` or
    #: ``password_changed``.
    reason: str | None = None
    #: For 401 session_revoked with ``password_changed``: the account's hint now (``""`` when
    #: there is none), so the device shows the new one at its password prompt.
    account_hint: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail


# --- KDF parameters -------------------------------------------------------------------


class KdfParams(_Model):
    """Argon2id cost as stored by the server (spec/protocol.md §3)."""

    t: StrictInt = Field(ge=1, le=1000)
    m_kib: StrictInt = Field(ge=8, le=4_194_304)
    p: StrictInt = Field(ge=1, le=255)


# --- Sign-up and sign-in ---------------------------------------------------------------


class SignupRequest(_Model):
    email: Email
    account_id: HexId
    kdf_salt: B64
    kdf_params: KdfParams
    verifier: HexInt
    keyset: B64
    hint: Hint | None = None
    device_id: HexId
    device_name: DeviceName


class SessionInfo(_Model):
    token: str
    device_id: HexId


#: A device credential (spec/api.md "Sign-in"): what a device that signed in before shows,
#: so failures by others do not lock it out. Opaque to the client.
DeviceCredential = Annotated[str, Field(pattern=r"^dc1\.[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$")]


class SignupResponse(_Model):
    account_id: HexId
    generation: int
    session: SessionInfo
    #: Present (true) when the server requires the address to be confirmed by the mailed
    #: link before the account works (``SAFEHOLD_SIGNUPS=verify``); absent otherwise.
    verification_required: bool | None = None
    #: As in ``AuthFinishResponse``: the credential of the device that signed up.
    device_credential: DeviceCredential | None = None


class AuthStartRequest(_Model):
    email: Email


class AuthStartResponse(_Model):
    login_id: str
    account_id: HexId
    kdf_salt: B64
    kdf_params: KdfParams
    B: HexInt



#: A session's own idle lifetime, in seconds (a minute to a year; the server's is the most).
SessionIdleSeconds = Annotated[int, Field(ge=60, le=366 * 86_400)]


class AuthFinishRequest(_Model):
    login_id: LoginId
    A: HexInt
    M1: HexInt
    device_id: HexId
    device_name: DeviceName
    #: The credential this device got at its last sign-in to this account, if any.
    device_credential: DeviceCredential | None = None
    #: A shorter idle lifetime for this session than the server's (spec/api.md "Sign-in"):
    #: the web vault asks for one, so a tab that was killed rather than closed does not
    #: leave a session open for the server's 30 days.
    session_idle_seconds: SessionIdleSeconds | None = None


class AuthFinishResponse(_Model):
    M2: HexInt
    session: SessionInfo
    keyset: B64
    generation: int
    hint: Hint | None = None
    #: Keep it and send it at the next sign-in (spec/api.md "Sign-in").
    device_credential: DeviceCredential | None = None


class PasswordChangeRequest(_Model):
    """Authenticated, plus a fresh SRP proof (``login_id`` from /auth/start, ``A``, ``M1``)."""

    login_id: LoginId
    A: HexInt
    M1: HexInt
    kdf_salt: B64
    kdf_params: KdfParams
    verifier: HexInt
    keyset: B64
    #: ``None`` leaves the hint as it is; ``""`` removes it.
    hint: Hint | None = None


class PasswordChangeResponse(_Model):
    M2: HexInt


class KeyRotationRequest(_Model):
    """``POST /account/key`` (spec/protocol.md "Account key rotation"): authenticated, a
    fresh SRP proof with the current credentials, and the credentials derived from the same
    password and a **new** account key made on the device. The server sees no key."""

    login_id: LoginId
    A: HexInt
    M1: HexInt
    kdf_salt: B64
    kdf_params: KdfParams
    verifier: HexInt
    keyset: B64


class HintRequest(_Model):
    email: Email


class AcceptedResponse(_Model):
    """The same answer whether or not the account exists."""

    status: str = "accepted"
    message: str


# --- Account, licence and devices ------------------------------------------------------


class Plan(StrEnum):
    FREE = "free"
    PREMIUM = "premium"


class LicenseStatus(StrEnum):
    ACTIVE = "active"
    EXPIRED = "expired"


class License(_Model):
    plan: Plan
    status: LicenseStatus
    expires: datetime | None = None


class PendingReset(_Model):
    """A completed reset form waiting for the server's delay (issue 14 §6)."""

    requested_at: datetime
    #: The client address that completed the form.
    requested_from: str
    effective_at: datetime


class AccountResponse(_Model):
    account_id: HexId
    email: str
    created_at: datetime
    generation: int
    reset_at: datetime | None = None
    license: License
    hint: Hint | None = None
    item_count: int
    #: A reset waiting for the server's delay; a device tells its user (issue 14 §6).
    pending_reset: PendingReset | None = None


class Device(_Model):
    device_id: HexId
    name: str
    created_at: datetime
    last_seen_at: datetime | None
    current: bool = False
    #: The device is still listed but must sign in again: every session it had was ended
    #: (today only by a password change made on another device).
    signed_out: bool = False
    #: Why, when ``signed_out``: ``password_changed``, ``key_rotated`` or ``recovered``.
    signed_out_reason: str | None = None


class DevicesResponse(_Model):
    devices: list[Device]


class DeviceRenameRequest(_Model):
    """``PATCH /devices/{device_id}``: the name shown for the device from now on."""

    name: DeviceName


# --- Vault ------------------------------------------------------------------------------


class Change(_Model):
    """One item's latest state: a live envelope, or a tombstone (``deleted``). A v1
    tombstone has no envelope; a v2 one is sealed (spec/protocol.md §11) and names its
    writing ``device`` and that device's ``device_seq``, as every v2 write does."""

    item_id: HexId
    seq: int
    revision: int
    deleted: bool
    envelope: B64 | None = None
    updated_at: datetime
    #: Protocol v2 writes only (null for a v1 record): claims bound into the envelope's AD.
    device: HexId | None = None
    device_seq: int | None = None


class ChangesResponse(_Model):
    generation: int
    changes: list[Change]
    #: Pass as ``since`` on the next call.
    cursor: int
    has_more: bool


class Write(_Model):
    """Create (``base_revision`` 0), update, or delete one item.

    Version 1 deletes with ``envelope`` null. A version 2 write (spec/protocol.md §11)
    names ``device`` and ``device_seq`` and always carries an envelope; a deletion is a
    sealed tombstone with ``deleted`` true. The server cannot check what the envelope
    binds; it stores the claims beside it for readers to check."""

    item_id: HexId
    base_revision: StrictInt = Field(ge=0)
    envelope: B64 | None = None
    deleted: bool = False
    device: HexId | None = None
    device_seq: StrictInt | None = Field(default=None, ge=1, le=2**62)

    @model_validator(mode="after")
    def _v2_shape(self) -> Write:
        _check_v2_shape(self.envelope, self.deleted, self.device, self.device_seq)
        return self


def _check_v2_shape(envelope: str | None, deleted: bool, device: str | None, device_seq: int | None) -> None:
    if (device is None) != (device_seq is None):
        raise PydanticCustomError("v2_write", "device and device_seq come together (a v2 write)")
    if device is not None and envelope is None:
        raise PydanticCustomError("v2_write", "a v2 write always carries an envelope (a tombstone is sealed)")
    if device is None and deleted and envelope is not None:
        raise PydanticCustomError(
            "v2_write", "a v1 deletion has no envelope; a sealed tombstone names its device"
        )


class PushRequest(_Model):
    writes: list[Write] = Field(max_length=500)


class WriteStatus(StrEnum):
    OK = "ok"
    CONFLICT = "conflict"


class WriteResult(_Model):
    item_id: HexId
    status: WriteStatus
    #: For ok: the new revision and sequence number of this write.
    revision: int | None = None
    seq: int | None = None
    #: For conflict: the item as the server has it now (nothing was changed).
    current: Change | None = None


class PushResponse(_Model):
    generation: int
    results: list[WriteResult]


# --- Account reset ----------------------------------------------------------------------


class ResetRequest(_Model):
    email: Email


class ResetInfo(_Model):
    """What the reset page needs to build new keys in the browser."""

    email: str
    account_id: HexId
    next_generation: int
    kdf_params: KdfParams
    devices: list[Device]
    expires_at: datetime
    #: Days the server keeps the old generation sealed after the reset (0: it keeps none).
    archive_days: float = 0
    #: Hours between completing the form and the reset (0: at once; issue 14 §6).
    delay_hours: float = 0


class ResetCompleteRequest(_Model):
    kdf_salt: B64
    kdf_params: KdfParams
    verifier: HexInt
    keyset: B64
    hint: Hint | None = None
    confirm_wipe: bool
    #: "Delete the old data now instead": the server keeps no archive of the old generation.
    delete_old: bool = False


class ResetCompleteResponse(_Model):
    account_id: HexId
    #: The generation the account has (or will have, when ``scheduled_for`` is set).
    generation: int
    #: When the reset happened; when it was requested, if it is scheduled.
    reset_at: datetime
    #: With ``SAFEHOLD_RESET_DELAY_HOURS``: when the reset takes effect (until then the old
    #: password and key keep working, and a signed-in device can cancel it).
    scheduled_for: datetime | None = None


class ServerArchive(_Model):
    """A generation a reset replaced, kept sealed by the server (issue 14 §2)."""

    archive_id: HexId
    generation: int
    created_at: datetime
    expires_at: datetime
    item_count: int


class ServerArchivesResponse(_Model):
    archives: list[ServerArchive]


class ServerArchiveKeys(_Model):
    """What opens an archive, with the old password and the old account key."""

    archive: ServerArchive
    email: str
    kdf_salt: B64
    kdf_params: KdfParams
    keyset: B64


class ArchivedItem(_Model):
    item_id: HexId
    revision: int
    envelope: B64
    updated_at: datetime
    #: The v2 claims bound into the envelope (null: a v1 write), as in :class:`Change`.
    device: HexId | None = None
    device_seq: int | None = None


class ArchivedItemsResponse(_Model):
    items: list[ArchivedItem]
    #: Pass as ``after`` for the next page (the last item id), when ``has_more``.
    cursor: str | None
    has_more: bool


# --- The recovery code (spec/protocol.md §9.2, spec/api.md "Recovery code") -------------

#: SHA-256, lowercase hex.
Sha256Hex = Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
#: A 32-byte value in base64url (43 characters).
B64Key = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{43}$")]
#: A sealed 32-byte key (spec §5: 61 bytes, 82 characters); room for nothing else.
WrappedKey = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]*$", max_length=200)]


class RecoveryCodeRequest(_Model):
    """``PUT /account/recovery``: a fresh SRP proof of the current credentials, the vault
    key wrapped under ``rk`` and ``SHA-256(ra)``; the code itself never travels."""

    login_id: LoginId
    A: HexInt
    M1: HexInt
    wrapped: WrappedKey
    auth_hash: Sha256Hex


class RecoveryCodeResponse(_Model):
    M2: HexInt
    generation: int
    created_at: datetime


class RecoveryStatus(_Model):
    """``GET /account/recovery``: whether a code is in force, never anything of it."""

    exists: bool
    created_at: datetime | None = None


class RecoveryRequest(_Model):
    email: Email


class RecoveryInfo(_Model):
    """What a device needs to use a recovery code with this link."""

    email: str
    account_id: HexId
    generation: int
    kdf_params: KdfParams
    devices: list[Device]
    expires_at: datetime
    #: Whether the account has a recovery code in force (the link holder may know this).
    has_code: bool


class RecoveryOpenRequest(_Model):
    #: ``ra``, base64url: sent only when the code is used.
    auth: B64Key


class RecoveryOpenResponse(_Model):
    wrapped: WrappedKey


class RecoveryCompleteRequest(_Model):
    auth: B64Key
    kdf_salt: B64
    kdf_params: KdfParams
    verifier: HexInt
    keyset: B64
    hint: Hint | None = None


class RecoveryCompleteResponse(_Model):
    account_id: HexId
    generation: int
    recovered_at: datetime


def error_body(code: ErrorCode, message: str, **extra: Any) -> dict[str, Any]:
    """The JSON body of an error response."""
    detail = ErrorDetail(code=code, message=message, **extra)
    return {"error": detail.model_dump(mode="json", exclude_none=True)}


# --- Single-item vault access (spec/api.md "Vault") -------------------------------------


class ItemWriteRequest(_Model):
    """``PUT /vault/items/{item_id}``: create (``base_revision`` 0), update, or delete
    (``envelope`` null, or a v2 sealed tombstone) one item, on the revision the edit was
    based on. The v2 fields are those of :class:`Write`."""

    base_revision: StrictInt = Field(ge=0, le=2**31 - 1)
    envelope: B64 | None = None
    deleted: bool = False
    device: HexId | None = None
    device_seq: StrictInt | None = Field(default=None, ge=1, le=2**62)

    @model_validator(mode="after")
    def _v2_shape(self) -> ItemWriteRequest:
        _check_v2_shape(self.envelope, self.deleted, self.device, self.device_seq)
        return self


class ConflictDetail(ErrorDetail):
    #: The item as the server has it now; the write changed nothing.
    current: Change


class ConflictBody(BaseModel):
    """The 409 answer of ``PUT /vault/items/{item_id}``: ``error.code`` is ``conflict``."""

    error: ConflictDetail
