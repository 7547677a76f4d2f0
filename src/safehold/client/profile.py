"""The profile directory: where each account's vault file lives and which one is in use.

<home>/current                 the account_id the commands work on
<home>/vaults/<account_id>.db  one local vault per account (store.py)
<home>/keys/<account_id>.key   the account key, when no OS keychain works (keystore.py)
<home>/kits/                   Emergency Kits written by signup
<home>/locks/<account_id>.sync one sync of a vault at a time (account.sync_lock)
"""

from __future__ import annotations

import os
from pathlib import Path

from .paths import current_account, vault_file


class Profile:
    def __init__(self, home: Path) -> None:
        self.home = home

    def ensure(self) -> None:
        """Create the directory tree, readable by this user only."""
        for path in (self.home, self.home / "vaults", self.home / "keys", self.home / "kits"):
            path.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.chmod(path, 0o700)

    def vault_path(self, account_id: str) -> Path:
        return Path(vault_file(self.home, account_id))

    def sync_lock_path(self, account_id: str) -> Path:
        return self.home / "locks" / f"{account_id}.sync"

    def key_path(self, account_id: str) -> Path:
        return self.home / "keys" / f"{account_id}.key"

    def default_kit_path(self, email: str) -> Path:
        safe = "".join(ch if ch.isalnum() or ch in "@._-" else "_" for ch in email)
        return self.home / "kits" / f"Safehold Emergency Kit - {safe}.pdf"

    @property
    def current(self) -> str | None:
        """The account this profile works on, if it has one whose vault still exists."""
        return current_account(self.home)

    def set_current(self, account_id: str | None) -> None:
        marker = self.home / "current"
        if account_id is None:
            marker.unlink(missing_ok=True)
            return
        self.ensure()
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(account_id + "\n")
        os.replace(tmp, marker)

    def require_current(self) -> str:
        account_id = self.current
        if account_id is None:
            from .errors import NotSignedIn  # here: the fast path reads `current` and no error

            raise NotSignedIn()
        return account_id

    def account_ids(self) -> list[str]:
        """Every account with a vault file in this profile, the current one first."""
        found = sorted(path.stem for path in (self.home / "vaults").glob("*.db"))
        current = self.current
        if current is not None and current in found:
            found.remove(current)
            found.insert(0, current)
        return found
