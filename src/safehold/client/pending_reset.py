"""A reset the server has scheduled but not applied yet (issue 14 §6, docs/reset.md).

With ``SAFEHOLD_RESET_DELAY_HOURS`` on the server, a completed reset form waits. Every
device hears of it at its next contact (``GET /account``: at unlock, and after each
``sync``) and keeps what it heard in the vault's metadata, so ``status`` can tell the user
offline: when it was requested, from which address, and when it takes effect. An
unlocked device cancels it (:func:`cancel`); the server mails the account either way.

The notice is the server's word and only informs: nothing on the device changes because
of it. The reset itself, once applied, reaches the device as any reset claim does
(an archive, exit code 9).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from .errors import AccountWasReset, ClientError

if TYPE_CHECKING:
    from safehold import wire

    from .account import Unlocked
    from .store import VaultStore

META_KEY = "pending_reset"


@dataclass(frozen=True)
class PendingReset:
    requested_at: datetime
    requested_from: str
    effective_at: datetime

    def to_json(self) -> dict[str, str]:
        return {
            "requested_at": self.requested_at.isoformat(),
            "requested_from": self.requested_from,
            "effective_at": self.effective_at.isoformat(),
        }


def remember(store: VaultStore, pending: wire.PendingReset | None) -> None:
    """Keep (or clear) what the server said, for ``status``."""
    value = None
    if pending is not None:
        value = json.dumps(
            {
                "requested_at": pending.requested_at.isoformat(),
                "requested_from": pending.requested_from,
                "effective_at": pending.effective_at.isoformat(),
            }
        )
    if store.meta(META_KEY) != value:
        store.set_meta(**{META_KEY: value})


def recalled(store: VaultStore) -> PendingReset | None:
    """What the server last said, if it said a reset was scheduled."""
    raw = store.meta(META_KEY)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return PendingReset(
            requested_at=datetime.fromisoformat(data["requested_at"]),
            requested_from=str(data["requested_from"]),
            effective_at=datetime.fromisoformat(data["effective_at"]),
        )
    except (ValueError, KeyError, TypeError):
        return None  # damaged metadata: the next contact writes it again


def check(unlocked: Unlocked) -> PendingReset | None:
    """Ask the server (after a sync): a scheduled reset is remembered and returned. A reset
    already applied is handled as every reset claim (the vault is archived, then
    :class:`AccountWasReset`). Offline or a failing server: what was heard last."""
    try:
        with unlocked.api() as api:
            info = api.account()
    except AccountWasReset as exc:
        raise unlocked.service.set_aside(
            unlocked.store, "the server said the account was reset", exc.generation, exc.reset_at
        ) from None
    except ClientError:  # offline, or a server that fails: the sync already succeeded
        return recalled(unlocked.store)
    remember(unlocked.store, info.pending_reset)
    return recalled(unlocked.store)


def cancel(unlocked: Unlocked) -> PendingReset:
    """Cancel the scheduled reset; :class:`~safehold.client.errors.ItemNotFound` if none."""
    with unlocked.api() as api:
        cancelled = api.cancel_reset()
    remember(unlocked.store, None)
    return PendingReset(cancelled.requested_at, cancelled.requested_from, cancelled.effective_at)
