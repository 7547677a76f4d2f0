"""A new account key without a reset (``safehold rotate-key``, spec/protocol.md "Account key
rotation").

For a stolen Emergency Kit or key file. The device proves it knows the current password and
key (a fresh SRP sign-in), makes a new account key, derives new credentials from the **same
password** and the new key with a new salt, re-wraps the **same vault key** under the new
``auk``, and sends the new salt, verifier and keyset. Items are untouched: the vault key
does not change, so nothing is re-sealed and no device loses data. The server revokes every
other session with the reason ``key_rotated``; those devices keep their vaults and ask for
the new key at their next sign-in.

The new key is stored here before the request is sent (as signup does): once the server
holds the new verifier, a key that exists nowhere would lock the person out.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from safehold.crypto import (
    AccountKey,
    b64encode,
    int_to_hex,
    new_kdf_salt,
    seal_keyset,
    verifier,
)

from .errors import (
    AuthFailed,
    ClientError,
    KdfRefused,
    KeyRotationIncomplete,
    RateLimited,
    SessionRevoked,
    Unreachable,
)

if TYPE_CHECKING:
    from .account import AccountService, Unlocked


def rotate_key(service: AccountService, unlocked: Unlocked, password: str) -> AccountKey:
    """Replace the account key; returns the new one (already stored on this device)."""
    from safehold import wire

    from .account import _params_json, _wire_params

    if unlocked.transport_kind == "folder":
        return service.folders.rotate_key(unlocked, password)
    store = unlocked.store
    account_id = store.account_id
    old_key = service.account_key(account_id)
    new_key = AccountKey.generate()
    with unlocked.api() as api:
        proof = service.prove_password(api, store.email, password, old_key, account_id)
        params = proof.params
        new_salt = new_kdf_salt()
        fresh = service.derive(store.email, password, new_key, account_id, new_salt, params)
        keyset = b64encode(seal_keyset(fresh.auk, unlocked.vk, bytes.fromhex(account_id), store.generation))
        request = wire.KeyRotationRequest(
            login_id=proof.start.login_id, A=proof.a_hex, M1=proof.m1.hex(), kdf_salt=b64encode(new_salt),
            kdf_params=_wire_params(params), verifier=int_to_hex(verifier(fresh.srp_x)), keyset=keyset,
        )  # fmt: skip
        pending = f"{account_id}-pending"
        service.keystore.save(pending, new_key)
        try:
            answer = api.rotate_key(request)
        except (AuthFailed, RateLimited, KdfRefused, SessionRevoked) as exc:
            # Refused before anything changed: the old key stays the key.
            service.keystore.delete(pending)
            raise exc from None
        except (Unreachable, ClientError) as exc:
            raise KeyRotationIncomplete(new_key, exc.message) from exc
    proof.check_server(answer.M2, "the server could not prove it knows this account")
    try:
        service.keystore.save(account_id, new_key)
        service.keystore.delete(pending)
        store.set_meta(kdf_salt=b64encode(new_salt), kdf_params=_params_json(params), keyset=keyset)
    except (OSError, ClientError) as exc:
        message = exc.message if isinstance(exc, ClientError) else str(exc)
        raise KeyRotationIncomplete(new_key, message) from exc
    return new_key
