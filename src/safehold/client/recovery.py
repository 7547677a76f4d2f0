"""The recovery code (spec/protocol.md §9.2): a forgotten password without a reset.

Making one (``safehold recovery-code``, on an unlocked device): a fresh proof of the current
password and key, a new 256-bit code, and only ``seal(rk, vk)`` and ``SHA-256(ra)`` sent.

Using one (``safehold recover``): the emailed link gives the account's id and generation;
the code gives ``ra`` (sent, to prove it) and ``rk`` (kept, to open the wrapped vault key).
A new account key and salt are made here, the new password's keys derived, and the **same**
vault key sealed into a new keyset for the **same** generation: every item stays. The
server revokes every session (reason ``recovered``); devices keep their data and ask for
the new password and key, as after a key rotation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from safehold.crypto import (
    AccountKey,
    KdfParams,
    RecoveryCode,
    TamperedData,
    b64decode,
    b64encode,
    int_to_hex,
    new_kdf_salt,
    open_recovery,
    recovery_keys,
    seal_keyset,
    seal_recovery,
    verifier,
)

from .errors import (
    KeyRotationIncomplete,
    RecoveryCodeRejected,
    ServerError,
    Tampered,
    Unreachable,
    UsageError,
)

if TYPE_CHECKING:
    from safehold import wire

    from .account import AccountService, Unlocked

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,200}$")


def make_recovery_code(service: AccountService, unlocked: Unlocked, password: str) -> RecoveryCode:
    """A new recovery code for this account (the previous one stops working); shown once."""
    from safehold import wire

    store = unlocked.store
    account_id = store.account_id
    key = service.account_key(account_id)
    code = RecoveryCode.generate()
    keys = recovery_keys(code, bytes.fromhex(account_id))
    wrapped = seal_recovery(keys, unlocked.vk, bytes.fromhex(account_id), store.generation)
    with unlocked.api() as api:
        proof = service.prove_password(api, store.email, password, key, account_id)
        answer = api.set_recovery_code(
            wire.RecoveryCodeRequest(
                login_id=proof.start.login_id, A=proof.a_hex, M1=proof.m1.hex(), wrapped=b64encode(wrapped),
                auth_hash=keys.auth_hash.hex(),
            )
        )  # fmt: skip
    # The code may be stored, but a server that cannot prove it knows the account is not trusted.
    proof.check_server(answer.M2, "the server could not prove it knows this account")
    return code


def revoke_recovery_code(unlocked: Unlocked) -> None:
    with unlocked.api() as api:
        api.revoke_recovery_code()


def recovery_status(unlocked: Unlocked) -> wire.RecoveryStatus:
    with unlocked.api() as api:
        return api.recovery_status()


@dataclass(frozen=True)
class RecoveryLink:
    server: str
    token: str


def parse_recovery_link(url: str) -> RecoveryLink:
    """``https://host[:port][/prefix]/recover/<token>`` → the server URL and the token."""
    parts = urlsplit(url.strip())
    prefix, sep, token = parts.path.rstrip("/").rpartition("/recover/")
    if parts.scheme not in ("http", "https") or not parts.netloc or not sep or not _TOKEN.match(token):
        raise UsageError(
            "that is not a recovery link",
            hint="paste the whole link from the recovery email: https://…/recover/…",
        )
    return RecoveryLink(server=f"{parts.scheme}://{parts.netloc}{prefix}", token=token)


def request_recovery(service: AccountService, email: str, server: str) -> None:
    """Ask the server to mail a recovery link (the same answer whether or not the account exists)."""
    with service.api(server) as api:
        api.recover(email)


def recovery_info(service: AccountService, link: RecoveryLink) -> wire.RecoveryInfo:
    with service.api(link.server) as api:
        return api.recovery_info(link.token)


def no_code() -> RecoveryCodeRejected:
    return RecoveryCodeRejected(
        "this account has no recovery code in force, so it cannot be recovered this way",
        hint="if a device still unlocks, change the password there; otherwise `safehold reset EMAIL`",
    )


def recover(
    service: AccountService,
    link: RecoveryLink,
    info: wire.RecoveryInfo,
    code: RecoveryCode,
    password: str,
    hint: str | None,
) -> tuple[AccountKey, wire.RecoveryCompleteResponse]:
    """Open the vault key with the code, re-wrap it under a new account key and the new
    password, and complete the recovery; returns the new account key."""
    from safehold import wire

    if not info.has_code:
        raise no_code()
    account_id = bytes.fromhex(info.account_id)
    keys = recovery_keys(code, account_id)
    auth = b64encode(keys.ra)
    floor = service.settings.kdf_floor
    params = KdfParams(
        t=max(info.kdf_params.t, floor.t), m_kib=max(info.kdf_params.m_kib, floor.m_kib),
        p=max(info.kdf_params.p, floor.p),
    )  # fmt: skip
    with service.api(link.server) as api:
        opened = api.recovery_open(link.token, wire.RecoveryOpenRequest(auth=auth))
        try:
            vk = open_recovery(keys, b64decode(opened.wrapped), account_id, info.generation)
        except (TamperedData, ValueError):
            # The server accepted the code, so this wrap should open: it was altered.
            raise Tampered(
                "the server's copy of the recovered vault key does not open; nothing was changed"
            ) from None
        key = AccountKey.generate()
        salt = new_kdf_salt()
        derived = service.derive(info.email, password, key, info.account_id, salt, params)
        request = wire.RecoveryCompleteRequest(
            auth=auth, kdf_salt=b64encode(salt),
            kdf_params=wire.KdfParams(t=params.t, m_kib=params.m_kib, p=params.p),
            verifier=int_to_hex(verifier(derived.srp_x)),
            keyset=b64encode(seal_keyset(derived.auk, vk, account_id, info.generation)), hint=hint or None,
        )  # fmt: skip
        for attempt in (1, 2):
            try:
                return key, api.recovery_complete(link.token, request)
            except (Unreachable, ServerError) as exc:
                if isinstance(exc, ServerError) and exc.status < 500:
                    raise  # refused: nothing changed
                if attempt == 2:
                    # The answer may be lost after the recovery happened: the key exists only here.
                    raise KeyRotationIncomplete(key, exc.message) from exc
                # Once more with the same request: a server that applied it answers it again.
    raise AssertionError("unreachable")  # pragma: no cover
