"""Reset an account the way the browser page does, from a test (spec §9)."""

from __future__ import annotations

import email
import email.policy
import re
from pathlib import Path

import httpx

from safehold.crypto import (
    AccountKey,
    KdfParams,
    KdfPolicy,
    b64encode,
    derive_keys,
    int_to_hex,
    new_kdf_salt,
    new_vault_key,
    seal_keyset,
    verifier,
)

CHEAP = KdfParams(t=1, m_kib=8, p=1)
_LINK = re.compile(r"/reset/([A-Za-z0-9_-]{20,})")


def _reset_token(outbox: Path) -> str:
    for path in sorted(outbox.glob("*.eml"), reverse=True):
        message = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
        body = message.get_body(preferencelist=("plain",))
        text = body.get_content() if body is not None else ""  # type: ignore[union-attr]
        found = _LINK.search(text)
        if found and "reset" in str(message["Subject"]).lower():
            return found.group(1)
    raise AssertionError("no reset mail in the outbox")


def reset_account(http: httpx.Client, outbox: Path, email_address: str, password: str) -> AccountKey:
    """Ask for a reset, follow the mailed link and complete it with new keys made here."""
    http.post("/api/v1/reset", json={"email": email_address}).raise_for_status()
    token = _reset_token(outbox)
    info = http.get(f"/api/v1/reset/{token}").json()
    key = AccountKey.generate()
    account_id = bytes.fromhex(info["account_id"])
    salt = new_kdf_salt()
    keys = derive_keys(
        email=email_address,
        password=password,
        account_key_secret=key.secret,
        account_id=account_id,
        kdf_salt=salt,
        params=CHEAP,
        policy=KdfPolicy(floor=CHEAP),
    )
    body = {
        "kdf_salt": b64encode(salt),
        "kdf_params": {"t": CHEAP.t, "m_kib": CHEAP.m_kib, "p": CHEAP.p},
        "verifier": int_to_hex(verifier(keys.srp_x)),
        "keyset": b64encode(seal_keyset(keys.auk, new_vault_key(), account_id, info["next_generation"])),
        "hint": None,
        "confirm_wipe": True,
    }
    http.post(f"/api/v1/reset/{token}", json=body).raise_for_status()
    return key
