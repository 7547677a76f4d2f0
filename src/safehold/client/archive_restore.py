"""Merging an archived vault into the current one (``safehold archive restore``).

The archive is opened with the **old** password and the old account key: they derive the
old ``auk``, which opens the archive's cached keyset (sealed for the old generation), which
gives the old vault key. Each archived item, unsynced edits included, is opened with the
old keys through :class:`~safehold.crypto.VaultCipher` and written into the current vault
through :class:`~safehold.client.vault.Vault`, so it is re-sealed under the new vault key
and generation and queued for the next sync. Nothing here builds an envelope by hand.

An item the current vault already holds (same id) is merged as sync merges
(:func:`~safehold.client.merge.merge_items`, the archive's last server state as the base):
where both changed a value differently, the current value stays and the archived version
is kept whole as a conflict copy. Nothing is overwritten without keeping both.

An unsynced *deletion* in the archive is not applied: restoring only ever adds.

The same merge restores an archive the *server* kept (:mod:`safehold.client.server_archive`):
both kinds of source give :class:`ArchivedEntry` values (``entries()``).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

from safehold.crypto import AccountKey, TamperedData, VaultCipher, b64decode, new_item_id, open_keyset

from .errors import AuthFailed, Tampered, VaultDamaged
from .merge import conflict_title, merge_items
from .store import VaultStore
from .vault import Vault

if TYPE_CHECKING:
    from .account import AccountService, Unlocked
    from .archive import Manifest


@dataclass(frozen=True, slots=True)
class ArchivedEntry:
    """One archived item, opened with the old keys."""

    item_id: str
    #: Its value; ``None`` for an unsynced deletion (never applied) or an item refused.
    data: dict[str, Any] | None
    #: Its last state on the server (the merge's base), when known.
    base: dict[str, Any] | None
    #: An edit never uploaded.
    dirty: bool = False
    #: Storage returned something the old keys do not open: reported, never applied.
    tampered: bool = False


class ArchiveSource(Protocol):
    def entries(self) -> Iterator[ArchivedEntry]: ...


class Labelled(Protocol):
    """What names an archive in a report: a local :class:`Manifest` or a server archive."""

    @property
    def id(self) -> str: ...


@dataclass
class RestoreReport:
    archive: str
    #: Items new to the current vault, and the titles of those that were unsynced edits.
    added: list[str] = field(default_factory=list)
    merged: list[str] = field(default_factory=list)
    unchanged: int = 0
    #: Titles of items kept as conflict copies (both versions are in the vault).
    conflicts: list[str] = field(default_factory=list)
    unsynced: list[str] = field(default_factory=list)
    #: Unsynced deletions in the archive that were not applied.
    deletions_skipped: int = 0
    #: Ids of items storage altered (they do not open with the old keys): not restored.
    tampered: list[str] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "archive": self.archive, "added": self.added, "merged": self.merged,
            "unchanged": self.unchanged, "conflicts": self.conflicts, "unsynced": self.unsynced,
            "deletions_skipped": self.deletions_skipped, "tampered": self.tampered,
            "dry_run": self.dry_run,
        }  # fmt: skip


class ArchivedVault:
    """An archive's vault opened with its old keys: read-only use."""

    def __init__(self, store: VaultStore, cipher: VaultCipher) -> None:
        self.store = store
        self.cipher = cipher
        self.vault = Vault(store, cipher)

    def open_envelope(self, item_id: str, envelope: bytes | None) -> dict[str, Any] | None:
        if envelope is None:
            return None
        try:
            value = self.cipher.open_item(bytes.fromhex(item_id), envelope)
        except TamperedData:
            raise Tampered(f"archived item {item_id} failed to decrypt: it was altered") from None
        return value if isinstance(value, dict) else None

    def entries(self) -> Iterator[ArchivedEntry]:
        for row in self.store.rows():
            if row.local is None:
                yield ArchivedEntry(row.item_id, None, None, row.dirty)
                continue
            data = self.open_envelope(row.item_id, row.local)
            if data is None:
                continue
            base = self.open_envelope(row.item_id, row.base) if row.base != row.local else data
            yield ArchivedEntry(row.item_id, data, base, row.dirty)

    def close(self) -> None:
        self.store.close()


def open_archive(
    service: AccountService, manifest: Manifest, password: str, key: AccountKey
) -> ArchivedVault:
    """The archived vault of ``manifest``, opened with its old ``password`` and ``key``."""
    path = service.archives.vault_path(manifest)
    try:
        store = VaultStore.open(path)
    except (OSError, sqlite3.DatabaseError) as exc:
        raise VaultDamaged(f"archive {manifest.id} has no readable vault ({exc})") from None
    try:
        account_id = store.account_id
        generation = store.generation
        keys = service.derive(
            store.email, password, key, account_id, b64decode(store.require("kdf_salt")), store.kdf_params
        )
        try:
            vk = open_keyset(
                keys.auk, b64decode(store.require("keyset")), bytes.fromhex(account_id), generation
            )
        except TamperedData:
            raise AuthFailed(
                f"the old password or account key does not open archive {manifest.id}",
                hint="give the password the account had before the reset (--old-password-stdin or "
                "SAFEHOLD_OLD_PASSWORD); --account-key/--kit if the archive has no key",
            ) from None
        return ArchivedVault(store, VaultCipher(vk, bytes.fromhex(account_id), generation))
    except BaseException:
        store.close()
        raise


def restore_into(
    target: Unlocked, source: ArchiveSource, manifest: Labelled, *, dry_run: bool = False,
    now: datetime | None = None,
) -> RestoreReport:  # fmt: skip
    """Merge every item of ``source`` into ``target``'s vault (see the module docstring)."""
    report = RestoreReport(archive=manifest.id, dry_run=dry_run)
    vault = target.vault
    when = (now or datetime.now(UTC)).astimezone(UTC)
    label = f"archive {manifest.id}"
    for entry in source.entries():
        if entry.tampered:
            report.tampered.append(entry.item_id)
            continue
        data = entry.data
        if data is None:
            report.deletions_skipped += 1
            continue
        title = str(data.get("title", ""))
        if entry.dirty:
            report.unsynced.append(title)
        current = vault.get(entry.item_id)
        if current is None:
            report.added.append(title)
            if not dry_run:
                vault.put(dict(data), entry.item_id)
            continue
        if current.data == data:
            report.unchanged += 1
            continue
        result = merge_items(entry.base, data, current.data)
        report.merged.append(title)
        if result.conflicts:
            report.conflicts.append(title)
        if dry_run:
            continue
        with target.store.transaction():
            if result.conflicts:
                copy = dict(data)
                copy["title"] = conflict_title(title, label, when.strftime("%Y-%m-%d %H:%M"))
                copy["conflict_of"] = entry.item_id
                copy["conflict_from"] = label
                copy["conflict_at"] = when.isoformat()
                vault.put(copy, new_item_id().hex())
            if result.merged != current.data:
                vault.put(result.merged, entry.item_id)
    return report
