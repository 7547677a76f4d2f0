"""Completing an account reset on the device (``safehold reset --link URL``, issue 14 §3).

The reset page runs JavaScript the server sends; a malicious server could send code that
learns the new password and key. This does the same work with the installed client: the
new account key, vault key, salt, verifier and keyset are made here exactly as the page's
``buildReset`` makes them (spec/protocol.md §9), and only the public values are sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from safehold.crypto import (
    AccountKey,
    KdfParams,
    b64encode,
    int_to_hex,
    new_kdf_salt,
    new_vault_key,
    seal_keyset,
    verifier,
)

from .errors import KeyRotationIncomplete, ServerError, Unreachable, UsageError

if TYPE_CHECKING:
    from safehold import wire

    from .account import AccountService

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{20,200}$")


@dataclass(frozen=True)
class ResetLink:
    server: str
    token: str


def parse_link(url: str) -> ResetLink:
    """``https://host[:port][/prefix]/reset/<token>`` → the server URL and the token."""
    parts = urlsplit(url.strip())
    path = parts.path.rstrip("/")
    prefix, sep, token = path.rpartition("/reset/")
    if parts.scheme not in ("http", "https") or not parts.netloc or not sep or not _TOKEN.match(token):
        raise UsageError(
            "that is not a reset link", hint="paste the whole link from the reset email: https://…/reset/…"
        )
    return ResetLink(server=f"{parts.scheme}://{parts.netloc}{prefix}", token=token)


def reset_info(service: AccountService, link: ResetLink) -> wire.ResetInfo:
    with service.api(link.server) as api:
        return api.reset_info(link.token)


def complete_reset(
    service: AccountService, link: ResetLink, info: wire.ResetInfo, password: str, hint: str | None,
    *, delete_old: bool = False,
) -> tuple[AccountKey, wire.ResetCompleteResponse]:  # fmt: skip
    """Make the new keys here and complete the reset; returns the new account key."""
    from safehold import wire

    floor = service.settings.kdf_floor
    params = KdfParams(
        t=max(info.kdf_params.t, floor.t), m_kib=max(info.kdf_params.m_kib, floor.m_kib),
        p=max(info.kdf_params.p, floor.p),
    )  # fmt: skip
    key = AccountKey.generate()
    salt = new_kdf_salt()
    keys = service.derive(info.email, password, key, info.account_id, salt, params)
    vk = new_vault_key()
    keyset = seal_keyset(keys.auk, vk, bytes.fromhex(info.account_id), info.next_generation)
    request = wire.ResetCompleteRequest(
        kdf_salt=b64encode(salt), kdf_params=wire.KdfParams(t=params.t, m_kib=params.m_kib, p=params.p),
        verifier=int_to_hex(verifier(keys.srp_x)), keyset=b64encode(keyset), hint=hint or None,
        confirm_wipe=True, delete_old=delete_old,
    )  # fmt: skip
    with service.api(link.server) as api:
        try:
            answer = api.reset_complete(link.token, request)
        except (Unreachable, ServerError) as exc:
            if isinstance(exc, ServerError) and exc.status < 500:
                raise  # refused (a used or expired link): nothing changed
            # The answer may be lost after the reset happened: the key exists only here.
            raise KeyRotationIncomplete(key, exc.message) from exc
    return key, answer
