"""Backups of an unlocked vault: made on request or automatically, kept in the profile.

Automatic backups follow the product Safehold is modelled on: after every
``SAFEHOLD_BACKUP_EVERY`` changes (5) one is written to ``<home>/backups/``, and only the
newest ``SAFEHOLD_BACKUP_KEEP`` (10) are kept. They are sealed as spec/backup.md says, so
they still open after a password change.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Final

from safehold.client.account import Unlocked
from safehold.client.settings import ClientSettings
from safehold.client.vault import Vault
from safehold.crypto import b64decode

from .backup import AccountState, BackupError, BackupInfo, make_backup, read_info
from .export import write_private

__all__ = ["ListedBackup", "account_state", "auto_backup", "backup_dir", "list_backups", "write_backup"]

SUFFIX: Final = ".shbackup"


@dataclass(frozen=True, slots=True)
class ListedBackup:
    path: Path
    info: BackupInfo | None
    #: Why ``info`` is missing: the file could not be read as a backup.
    problem: str | None = None


def backup_dir(settings: ClientSettings) -> Path:
    return settings.home / "backups"


def account_state(unlocked: Unlocked) -> AccountState:
    store = unlocked.store
    return AccountState(
        account_id=store.account_id,
        email=store.email,
        generation=store.generation,
        kdf_salt=b64decode(store.require("kdf_salt")),
        kdf_params=store.kdf_params,
        keyset=b64decode(store.require("keyset")),
    )


def write_backup(unlocked: Unlocked, path: Path, *, password: str | None = None) -> BackupInfo:
    """Seal every item (user-defined types included) into a backup file at ``path`` (0600)."""
    vault = Vault(unlocked.store, unlocked.cipher)
    items = [(s.item_id, s.data) for s in vault.all(include_templates=True, include_trashed=True)]
    data = make_backup(account_state(unlocked), unlocked.vk, items, password=password)

    def write(tmp: Path) -> None:
        tmp.write_bytes(data)

    write_private(path, write)
    return read_info(data)


def default_name(account_id: str, now: datetime | None = None) -> str:
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    return f"safehold-{account_id[:8]}-{stamp}{SUFFIX}"


def list_backups(settings: ClientSettings) -> list[ListedBackup]:
    """The profile's backups, newest first."""
    folder = backup_dir(settings)
    if not folder.is_dir():
        return []
    out = []
    for path in sorted(folder.glob(f"*{SUFFIX}"), reverse=True):
        try:
            out.append(ListedBackup(path, read_info(path.read_bytes())))
        except (BackupError, OSError) as exc:
            out.append(ListedBackup(path, None, str(exc)))
    return out


def _prune(settings: ClientSettings, account_id: str) -> None:
    mine = sorted(backup_dir(settings).glob(f"safehold-{account_id[:8]}-*{SUFFIX}"), reverse=True)
    for old in mine[settings.backup_keep :]:
        old.unlink(missing_ok=True)


def auto_backup(unlocked: Unlocked, settings: ClientSettings) -> Path | None:
    """A backup if ``backup_every`` changes were made since the last one; ``None`` if not due."""
    if settings.backup_every <= 0:
        return None
    vault = Vault(unlocked.store, unlocked.cipher)
    if vault.edits_since_backup < settings.backup_every:
        return None
    folder = backup_dir(settings)
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    os.chmod(folder, 0o700)
    path = folder / default_name(unlocked.account_id)
    write_backup(unlocked, path)
    unlocked.store.set_meta(**{Vault.EDITS_KEY: "0"})
    _prune(settings, unlocked.account_id)
    return path
