"""Devices sync by themselves (issue 10 §4): while the agent holds an account's keys, it
syncs that account a few seconds after each local change (``SAFEHOLD_SYNC_DELAY``, default
3) and every ``SAFEHOLD_SYNC_INTERVAL`` seconds (default 60; 0 turns it off), through the
account's own transport (a server or a folder).

It runs in one background thread of the agent, so the agent keeps answering reads while
a sync waits on the network. A failure backs off exponentially, from the delay up to
:data:`MAX_BACKOFF` (or the interval, if longer), and is never retried in a loop; a
local change does not cut a back-off short. A reset claim archives the vault as it does
for a command (account.py), and the agent forgets the keys: the device locks. A device
signed out (or whose password changed elsewhere) stops syncing by itself until unlocked.

Each sync, by the agent or by `safehold sync`, records when it ran and what it found in
the local vault (``last_sync``, see :func:`record`); ``status`` shows it, and what the
agent plans next (:meth:`AutoSync.state`).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .account import Unlocked
    from .store import VaultStore
    from .sync import SyncReport

__all__ = ["MAX_BACKOFF", "AutoSync", "last_sync", "record"]

#: The longest wait after failures (unless the interval is longer).
MAX_BACKOFF = 900.0
#: The first retry after a failure waits at least this long, however short the delay.
MIN_RETRY = 1.0


def record(
    store: VaultStore,
    by: str,
    report: SyncReport | None,
    error: BaseException | None,
    *,
    engine_wrote: bool = False,
) -> None:
    """Keep when a sync ran, by whom, and what it found in the local vault's ``last_sync``
    (ids, counts and reasons; no secrets, no titles). After a sync the engine wrote its own
    summary (``engine_wrote``) that summary is kept and completed; a failed sync is
    recorded with its error."""
    when = datetime.now(UTC).isoformat(timespec="seconds")
    entry: dict[str, Any] = {}
    if error is None and engine_wrote:
        entry = last_sync(store) or {}
    elif report is not None:
        entry = {"pulled": report.pulled, "pushed": report.pushed, "merged": report.merged,
                 "conflicts": len(report.conflicts)}  # fmt: skip
    entry.setdefault("at", when)
    entry.update(by=by, ok=error is None)
    if error is not None:
        entry["error"] = getattr(error, "message", None) or str(error) or type(error).__name__
        entry["kind"] = getattr(error, "kind", "error")
    store.set_meta(last_sync=json.dumps(entry, sort_keys=True))


def last_sync(store: VaultStore) -> dict[str, Any] | None:
    raw = store.meta("last_sync")
    if not raw:
        return None
    try:
        value = json.loads(raw)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


@dataclass
class _Account:
    home: Path
    due: float
    failures: int = 0
    backoff_until: float = 0.0
    syncs: int = 0
    last_error: str | None = None


class AutoSync:
    """The agent's syncer. ``keys(account_id)`` gives the keys the agent holds (``None``
    once forgotten); ``forget(account_id)`` locks the account (a reset claim)."""

    def __init__(
        self,
        keys: Callable[[str], tuple[bytes, str | None] | None],
        forget: Callable[[str], None],
        *,
        interval: float,
        delay: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.keys = keys
        self.forget = forget
        self.interval = interval
        self.delay = delay
        self.clock = clock
        self._accounts: dict[str, _Account] = {}
        self._lock = threading.Condition()
        self._stopped = False
        self._thread: threading.Thread | None = None

    @property
    def enabled(self) -> bool:
        return self.interval > 0

    # --- called from the agent's request loop -------------------------------------------

    def watch(self, account_id: str, home: Path) -> None:
        """The agent was given this account's keys: sync soon, then every interval."""
        if not self.enabled:
            return
        with self._lock:
            found = self._accounts.get(account_id)
            if found is None or found.home != home:
                self._accounts[account_id] = _Account(home, self.clock() + self.delay)
            self._lock.notify_all()
        self._start()

    def poke(self, account_id: str) -> bool:
        """A local change: sync within the delay (not before a back-off ends)."""
        with self._lock:
            found = self._accounts.get(account_id)
            if found is None:
                return False
            soon = max(self.clock() + self.delay, found.backoff_until)
            found.due = min(found.due, soon)
            self._lock.notify_all()
            return True

    def drop(self, account_id: str | None = None) -> None:
        with self._lock:
            if account_id is None:
                self._accounts.clear()
            else:
                self._accounts.pop(account_id, None)
            self._lock.notify_all()

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            self._accounts.clear()
            self._lock.notify_all()

    def join(self, timeout: float) -> None:
        """After :meth:`stop`: let a sync under way finish (a sync cut short loses nothing,
        but the next one has to redo it)."""
        if self._thread is not None:
            self._thread.join(timeout)

    def state(self, account_id: str) -> dict[str, Any] | None:
        """What the agent plans for the account: seconds to the next sync, failures."""
        with self._lock:
            found = self._accounts.get(account_id)
            if found is None:
                return None
            return {
                "interval": self.interval,
                "next_in": max(0.0, round(found.due - self.clock(), 1)),
                "failures": found.failures,
                "syncs": found.syncs,
                "last_error": found.last_error,
            }

    # --- the thread ---------------------------------------------------------------------

    def _start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="safehold-autosync", daemon=True)
            self._thread.start()

    def _next(self) -> str | None:
        """Wait until an account is due; its id, or ``None`` when stopped."""
        with self._lock:
            while not self._stopped:
                now = self.clock()
                due = min(self._accounts.items(), key=lambda kv: kv[1].due, default=None)
                if due is not None and due[1].due <= now:
                    return due[0]
                self._lock.wait(timeout=None if due is None else due[1].due - now)
            return None

    def _run(self) -> None:
        while (account_id := self._next()) is not None:
            self.run_once(account_id)

    def run_once(self, account_id: str) -> None:
        """Sync one account now and plan its next sync."""
        with self._lock:
            account = self._accounts.get(account_id)
            if account is None:
                return
            # Planned before the run: a change made during it is picked up by a poke.
            account.due = self.clock() + self.interval
        keys = self.keys(account_id)
        if keys is None:
            self.drop(account_id)
            return
        error = self._sync(account_id, account.home, keys)
        with self._lock:
            if self._accounts.get(account_id) is not account:
                return
            account.syncs += 1
            if error is None:
                account.failures, account.backoff_until, account.last_error = 0, 0.0, None
                return
            account.failures += 1
            account.last_error = error
            cap = max(MAX_BACKOFF, self.interval)
            wait = min(cap, max(MIN_RETRY, self.delay) * 2 ** (account.failures - 1))
            account.backoff_until = self.clock() + wait
            account.due = max(account.due, account.backoff_until)

    def _sync(self, account_id: str, home: Path, keys: tuple[bytes, str | None]) -> str | None:
        """One sync; ``None`` on success, else what went wrong (for :meth:`state`)."""
        from .account import AccountService
        from .errors import AccountWasReset, ClientError, SessionRevoked
        from .settings import ClientSettings

        try:
            settings = ClientSettings.load(home=home)
            service = AccountService(settings, on_wipe=self._locked)
            unlocked: Unlocked = service.resume(account_id, keys[0], keys[1])
        except (ClientError, OSError) as exc:
            return str(exc)
        try:
            unlocked.sync(by="agent")
        except AccountWasReset as exc:
            self._locked(account_id)
            return exc.message
        except SessionRevoked as exc:
            # Signed out, or the password changed elsewhere: only a person can fix that
            # (`login`, or `unlock` with the new password), so stop trying.
            self.drop(account_id)
            return exc.message
        except ClientError as exc:
            return exc.message
        except Exception as exc:  # a bug must not end automatic sync for good
            return f"{type(exc).__name__}: {exc}"
        finally:
            unlocked.close()
        return None

    def _locked(self, account_id: str) -> None:
        self.drop(account_id)
        self.forget(account_id)
