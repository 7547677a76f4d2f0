"""The Safehold client library: what the CLI (and any other front end) uses, and nothing
deeper. Names are loaded on first use (PEP 562), so ``import safehold.client.agent`` — the
CLI's fast path — does not pull in the HTTP client, pydantic or the sync engine.

    AccountService(settings, transport=None)   signup, login, unlock, resume, change_password,
        .wipe(account_id) …                    request_hint, request_reset
    Unlocked                                   .vault (Vault), .sync(), .transport(), .api(), .close()
    sync.SyncEngine(store, transport, vk).sync()   the engine over any transport (spec §11);
        transports.open_transport(store, token=)   picks the server or the folder for a vault
    ClientSettings.load(server=, home=, env=)  the environment, read in one place
    Vault: all(), find(query, trashed=False), put, delete, custom_templates(),
        trashed(), move_to_trash, restore_from_trash, purge_expired_trash
    StoredItem, user_templates(stored_items), summary(stored)
    find_device(devices, query)                a device by name, id or unique prefix
    logout(service, unlocked, force=False) -> LogoutReport; pending_edits(service, account_id)
    resolve_references(vault, refs)            safehold://ITEM/FIELD values
    AgentClient(path, idle)                    the agent: keys, and the fast reads (reads.py)

Errors (``errors.py``, drawn there): ClientError and its subclasses, each with ``exit_code``,
``kind``, ``message`` and ``hint``; ``ExitCode`` lists the codes.
"""

from __future__ import annotations

# Not `from typing import TYPE_CHECKING`: importing typing costs every fast read a few ms.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from typing import Any

_WHERE: dict[str, str] = {
    "AccountService": "account",
    "Unlocked": "account",
    "ClientSettings": "settings",
    "Vault": "vault",
    "StoredItem": "vault",
    "user_templates": "vault",
    "TEMPLATE_TYPE": "vault",
    "summary": "reads",
    "find_device": "devices",
    "logout": "logout",
    "LogoutReport": "logout",
    "pending_edits": "logout",
    "resolve_references": "resolve",
    "AgentClient": "agent",
    "AgentRefused": "agent",
    "key_location": "keystore",
    **{
        name: "errors"
        for name in (
            "ExitCode", "ClientError", "UsageError", "WeakPassword", "SignupIncomplete", "AuthFailed",
            "AccountKeyInvalid", "ItemNotFound", "AmbiguousItem", "Unreachable", "ConflictsCreated",
            "SessionRevoked", "NotSignedIn", "AccountWasReset", "Locked", "Tampered", "VaultDamaged",
            "RateLimited", "KdfRefused", "ItemTooLarge", "StorageSuspect", "ServerError", "EmailTaken",
            "UnsyncedEdits", "CommandNotStarted",
        )
    },
}  # fmt: skip

__all__ = sorted(_WHERE)


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'safehold.client' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(f"{__name__}.{module}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return list(__all__)
