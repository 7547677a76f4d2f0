"""Archives of local vaults set aside on a reset claim (docs/reset.md, issue 14 §1).

A claim that the account was reset (a 410, a generation mismatch, storage saying so) is
only a claim: a malicious server, a man in the middle or someone who completed a reset
from the user's mailbox can make it. So the device never deletes on it. It *moves* what it
holds for the account into ``<home>/archives/<id>/``:

    manifest.json   what the archive is (below); written last, so a directory without it
                    is an archive cut short by a crash and is read from its vault file
    vault.db        the local vault file as it was: items, outbox of unsynced edits,
                    cached keyset, KDF parameters, sync cursor, conflict records
    account.key     the account key this device stored (0600), when it had one
    kits/           the Emergency Kit PDFs of the account found in the profile

Nothing in an archive is more readable than the vault it came from: items stay sealed
under the old vault key, which only the old password and old account key open.

If the device then signs in to the same account at the same generation (the claim was
false), :meth:`ArchiveStore.put_back` moves the vault back where it was, nothing lost.
After a real reset ``safehold archive restore`` opens the archive with the old password
and merges its items into the new vault (:mod:`safehold.client.archive_restore`).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import sqlite3
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from safehold.crypto import AccountKey, AccountKeyError

from .errors import ArchiveNotFound, ClientError, VaultDamaged
from .profile import Profile
from .store import VaultStore

MANIFEST = "manifest.json"
VAULT_FILE = "vault.db"
KEY_FILE = "account.key"
KITS_DIR = "kits"
#: The vault file and the companions SQLite keeps beside it; they move together.
_VAULT_SUFFIXES = ("", "-wal", "-shm", "-journal")
#: ``status`` starts warning this many days before an archive is removed.
WARN_DAYS = 7


@dataclass(frozen=True)
class Manifest:
    id: str
    account_id: str
    email: str
    server: str
    #: The generation the archived vault was sealed for.
    generation: int
    #: When the archive was made (UTC, ISO 8601).
    created: str
    #: Why, for a person: "the server answered 410 (account reset)", ...
    reason: str
    items: int
    #: Items with edits never uploaded (the outbox) when the archive was made.
    unsynced: int
    #: The generation the claim named, when it named one.
    claimed_generation: int | None = None
    has_account_key: bool = False
    kits: list[str] = field(default_factory=list)
    #: When ``archive restore`` last merged this archive into a vault, and which generation.
    restored_at: str | None = None
    restored_into: int | None = None

    @property
    def created_at(self) -> datetime:
        return datetime.fromisoformat(self.created)

    def expires_at(self, days: int) -> datetime:
        return self.created_at + timedelta(days=days)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Manifest:
        known = {name for name in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in raw.items() if k in known})


def _now() -> datetime:
    return datetime.now(UTC)


def _write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically, readable by this user only, synced to disk."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _move_vault(source: Path, target: Path) -> None:
    """Move a vault file and its SQLite companions (same file system: each move is atomic)."""
    for suffix in _VAULT_SUFFIXES:
        src = Path(str(source) + suffix)
        if src.exists():
            os.replace(src, Path(str(target) + suffix))
    _fsync_dir(target.parent)
    _fsync_dir(source.parent)


def _checkpoint(path: Path) -> None:
    """Fold the WAL into the vault file, so the moved file is whole on its own."""
    try:
        db = sqlite3.connect(path, isolation_level=None)
        try:
            db.execute("PRAGMA busy_timeout=10000")
            db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        finally:
            db.close()
    except sqlite3.DatabaseError:
        pass  # a damaged file is archived as it is: moving it loses nothing


class ArchiveStore:
    """The archives of one profile."""

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        self.root = profile.home / "archives"

    # --- making one -----------------------------------------------------------------

    def archive(
        self, account_id: str, *, reason: str, key: AccountKey | None, claimed_generation: int | None
    ) -> Manifest | None:
        """Move the account's vault (and ``key``, and its kits) into a new archive.

        ``None`` when there is no vault to archive. The caller closes every connection to
        the vault first and deletes the stored key only after this returns.
        """
        vault = self.profile.vault_path(account_id)
        if not vault.exists():
            return None
        _checkpoint(vault)
        facts = _vault_facts(vault)
        created = _now()
        archive_id = f"{created.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(3)}"
        self.root.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(self.root, 0o700)
        home = self.root / archive_id
        home.mkdir(mode=0o700)
        # The key is copied before the vault moves: a crash in between leaves the vault in
        # place (nothing happened) or in the archive with its key (restorable).
        if key is not None:
            _write_private(home / KEY_FILE, key.to_text() + "\n")
        _move_vault(vault, home / VAULT_FILE)
        kits = self._move_kits(facts.get("email"), home)
        manifest = Manifest(
            id=archive_id, account_id=account_id, email=facts.get("email", ""),
            server=facts.get("server", ""), generation=int(facts.get("generation", 0)),
            created=created.isoformat(), reason=reason, items=int(facts.get("items", 0)),
            unsynced=int(facts.get("unsynced", 0)), claimed_generation=claimed_generation,
            has_account_key=key is not None, kits=kits,
        )  # fmt: skip
        self._save(manifest)
        return manifest

    def _move_kits(self, email: str | None, home: Path) -> list[str]:
        if not email:
            return []
        kit = self.profile.default_kit_path(email)
        moved: list[str] = []
        for path in (kit, kit.with_suffix(".png")):
            if path.exists():
                (home / KITS_DIR).mkdir(exist_ok=True, mode=0o700)
                os.replace(path, home / KITS_DIR / path.name)
                moved.append(path.name)
        return moved

    def _save(self, manifest: Manifest) -> None:
        _write_private(self.root / manifest.id / MANIFEST, json.dumps(manifest.to_json(), indent=2) + "\n")

    # --- reading --------------------------------------------------------------------

    def _load(self, home: Path) -> Manifest | None:
        try:
            return Manifest.from_json(json.loads((home / MANIFEST).read_text()))
        except FileNotFoundError:
            pass
        except (ValueError, TypeError):
            pass  # a damaged manifest: rebuilt from the vault file below
        vault = home / VAULT_FILE
        if not vault.exists():
            return None
        # Cut short by a crash (or a damaged manifest): what the vault file says.
        facts = _vault_facts(vault)
        created = datetime.fromtimestamp(vault.stat().st_mtime, UTC)
        return Manifest(
            id=home.name, account_id=facts.get("account_id", ""), email=facts.get("email", ""),
            server=facts.get("server", ""), generation=int(facts.get("generation", 0)),
            created=created.isoformat(), reason="unknown (the archive's manifest was missing)",
            items=int(facts.get("items", 0)), unsynced=int(facts.get("unsynced", 0)),
            has_account_key=(home / KEY_FILE).exists(),
        )  # fmt: skip

    def all(self) -> list[Manifest]:
        """Every archive, newest first."""
        if not self.root.is_dir():
            return []
        found = [m for home in self._homes() if (m := self._load(home)) is not None]
        found.sort(key=lambda m: (m.created, m.id), reverse=True)
        return found

    def _homes(self) -> Iterator[Path]:
        for home in self.root.iterdir():
            if home.is_dir() and not home.name.startswith("."):
                yield home

    def get(self, archive_id: str | None, account_id: str | None = None) -> Manifest:
        """The archive ``archive_id`` (or an unambiguous prefix); without an id, the newest
        one (of ``account_id`` when given)."""
        archives = self.all()
        if archive_id is None:
            mine = [m for m in archives if account_id is None or m.account_id == account_id]
            if not mine:
                whose = " of this account" if account_id else ""
                raise ArchiveNotFound(f"this device keeps no archive{whose}")
            return mine[0]
        matches = [m for m in archives if m.id == archive_id] or [
            m for m in archives if m.id.startswith(archive_id)
        ]
        if len(matches) != 1:
            what = "no archive" if not matches else f"{len(matches)} archives"
            raise ArchiveNotFound(f"{what} match {archive_id!r}", hint="`safehold archive list` shows them")
        return matches[0]

    def vault_path(self, manifest: Manifest) -> Path:
        return self.root / manifest.id / VAULT_FILE

    def account_key(self, manifest: Manifest) -> AccountKey | None:
        try:
            return AccountKey.parse((self.root / manifest.id / KEY_FILE).read_text())
        except FileNotFoundError:
            return None
        except AccountKeyError:
            raise VaultDamaged(f"the account key kept in archive {manifest.id} is unreadable") from None

    def mark_restored(self, manifest: Manifest, generation: int) -> Manifest:
        updated = replace(manifest, restored_at=_now().isoformat(), restored_into=generation)
        self._save(updated)
        return updated

    # --- putting back, deleting, expiring -------------------------------------------

    def find_same(self, account_id: str, generation: int, server: str) -> Manifest | None:
        """The newest archive of ``account_id`` at ``generation`` on ``server``, never restored:
        the vault a false reset claim set aside."""
        for manifest in self.all():
            if (
                manifest.account_id == account_id
                and manifest.generation == generation
                and manifest.server.rstrip("/") == server.rstrip("/")
                and manifest.restored_at is None
            ):
                return manifest
        return None

    def put_back(self, manifest: Manifest) -> None:
        """Move the archived vault (and kits) back where they were and drop the archive.

        The caller saves the account key (it signed in with it)."""
        home = self.root / manifest.id
        target = self.profile.vault_path(manifest.account_id)
        if target.exists():
            raise ClientError(f"cannot put archive {manifest.id} back: {target} exists")
        self.profile.ensure()
        _move_vault(home / VAULT_FILE, target)
        for name in manifest.kits:
            kit = home / KITS_DIR / name
            destination = self.profile.home / "kits" / name
            if kit.exists() and not destination.exists():
                os.replace(kit, destination)
        shutil.rmtree(home)

    def delete(self, manifest: Manifest) -> None:
        shutil.rmtree(self.root / manifest.id)

    def expired(self, days: int, now: datetime | None = None) -> list[Manifest]:
        now = now or _now()
        return [m for m in self.all() if m.expires_at(days) <= now]

    def expiring(self, days: int, now: datetime | None = None, warn_days: int = WARN_DAYS) -> list[Manifest]:
        """Archives removed within ``warn_days`` (not yet expired)."""
        now = now or _now()
        return [m for m in self.all() if now < m.expires_at(days) <= now + timedelta(days=warn_days)]

    def purge_expired(self, days: int, now: datetime | None = None) -> list[Manifest]:
        """Remove archives older than ``days``; the ones removed."""
        gone = self.expired(days, now)
        for manifest in gone:
            self.delete(manifest)
        return gone


def _vault_facts(path: Path) -> dict[str, str]:
    """Email, server, account id, generation, item and outbox counts of a vault file,
    as far as it can be read (a damaged file gives what it can)."""
    facts: dict[str, str] = {}
    try:
        store = VaultStore.open(path)
    except (OSError, sqlite3.DatabaseError):
        return facts
    try:
        for key in ("email", "server", "account_id", "generation"):
            value = store.meta(key)
            if value is not None:
                facts[key] = value
        facts["items"] = str(store.item_count())
        facts["unsynced"] = str(len(store.outbox()))
    except (sqlite3.DatabaseError, ClientError):
        pass
    finally:
        store.close()
    if not facts.get("generation", "0").isdigit():
        facts.pop("generation")
    return facts
