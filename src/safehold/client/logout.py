"""Signing this device out: revoke its session on the server, then forget everything the
profile holds for the account — the keys (keystore and agent), the local vault with its
outbox, and the Emergency Kits that signup wrote into the profile (they hold the account key).

Edits that never reached the server exist on this device only; signing out refuses to drop
them unless the caller says so (``force``), so nothing the person was told is saved is lost
on a whim. The server being unreachable does not keep the device signed in (the person
asked for it to be forgotten), but the report says the session could not be revoked, so it
can be signed out from another device.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from .account import AccountService, Unlocked
from .errors import AccountWasReset, SessionRevoked, Unreachable, UnsyncedEdits
from .profile import Profile


@dataclass
class LogoutReport:
    account_id: str
    email: str
    #: False when the server could not be told (unreachable): the session stays valid there.
    session_revoked: bool
    dropped_edits: int
    removed_kits: list[Path] = field(default_factory=list)


def pending_edits(service: AccountService, account_id: str) -> int:
    """How many edits on this device the server has not received."""
    store = service.open_store(account_id)
    try:
        return len(store.outbox())
    finally:
        store.close()


def profile_kits(profile: Profile, email: str) -> list[Path]:
    """The Emergency Kits for ``email`` that signup or `kit` wrote into the profile."""
    default = profile.default_kit_path(email)
    folder = default.parent
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if p.is_file() and p.stem == default.stem)


def logout(service: AccountService, unlocked: Unlocked, *, force: bool = False) -> LogoutReport:
    """Sign ``unlocked``'s account out of this device (closes ``unlocked``).

    Raises :class:`UnsyncedEdits` (and changes nothing) when edits are waiting and not ``force``."""
    account_id, email = unlocked.account_id, unlocked.store.email
    pending = len(unlocked.store.outbox())
    if pending and not force:
        raise UnsyncedEdits(pending)
    revoked = True
    try:
        # A vault kept in a folder has no session anywhere: nothing to revoke.
        if unlocked.transport_kind == "server":
            with unlocked.api() as api:
                api.logout()
    except (SessionRevoked, AccountWasReset):
        pass  # already signed out on the server: the goal is reached
    except Unreachable:
        revoked = False
    finally:
        unlocked.close()
    kits = profile_kits(service.profile, email)
    service.wipe(account_id)
    for kit in kits:
        kit.unlink(missing_ok=True)
    return LogoutReport(account_id, email, revoked, pending, kits)
