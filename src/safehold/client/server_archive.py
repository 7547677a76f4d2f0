"""The archives the *server* keeps of a generation a reset replaced (issue 14 §2).

A reset moves the old generation's items, keyset and KDF parameters into an archive on the
server (spec/archive.md §6), for ``SAFEHOLD_RESET_ARCHIVE_DAYS``. A signed-in device of
the new generation lists them and restores one exactly like a local archive: it downloads
the ciphertext, derives the old ``auk`` from the **old** password and the old account key
with the archive's salt and parameters, opens the old keyset (bound to the old generation),
and merges the items through :func:`~safehold.client.archive_restore.restore_into`, which
re-seals them under the current keys. The server learns nothing: it only hands out what
it stored.

The server is not trusted: its KDF parameters pass the same ceilings as at sign-in, and an
item that does not open with the old keys (altered, or moved from another account or
generation) is reported and left out, never written.

Server archives are named ``srv-<id>`` on the command line, beside the local ids.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from safehold.crypto import (
    AccountKey,
    KdfParams,
    TamperedData,
    VaultCipher,
    WriteCipher,
    WriteClaims,
    b64decode,
    open_keyset,
)

from .archive_restore import ArchivedEntry
from .errors import ArchiveNotFound, AuthFailed

if TYPE_CHECKING:
    from safehold import wire

    from .account import AccountService, Unlocked

#: How server archives are told from local ones on the command line.
PREFIX = "srv-"


def is_server_id(text: str | None) -> bool:
    return bool(text) and str(text).startswith(PREFIX)


@dataclass(frozen=True)
class ServerArchiveRef:
    """One archive as the server lists it, named for the command line."""

    archive: wire.ServerArchive

    @property
    def id(self) -> str:
        return PREFIX + self.archive.archive_id


def list_server_archives(unlocked: Unlocked) -> list[ServerArchiveRef]:
    """The account's archives on its server, newest first (dates and counts only)."""
    with unlocked.api() as api:
        return [ServerArchiveRef(a) for a in api.archives().archives]


def find_server_archive(unlocked: Unlocked, wanted: str) -> ServerArchiveRef:
    """The server archive ``srv-<id>`` (or an unambiguous prefix of it)."""
    archives = list_server_archives(unlocked)
    matches = [a for a in archives if a.id == wanted] or [a for a in archives if a.id.startswith(wanted)]
    if len(matches) != 1:
        what = "no archive on the server" if not matches else f"{len(matches)} server archives"
        raise ArchiveNotFound(f"{what} match {wanted!r}", hint="`safehold archive list` shows them")
    return matches[0]


def kept_old_key(service: AccountService, account_id: str, generation: int) -> AccountKey | None:
    """The old account key a local archive of the same account and generation holds: the
    device that archived its vault on the reset kept the key with it."""
    for manifest in service.archives.all():
        if (
            manifest.account_id == account_id
            and manifest.generation == generation
            and manifest.has_account_key
        ):
            key = service.archives.account_key(manifest)
            if key is not None:
                return key
    return None


class ServerArchiveSource:
    """A downloaded server archive, opened with the old keys (a ``restore_into`` source)."""

    def __init__(
        self, ref: ServerArchiveRef, vk: bytes, account_id: str, items: list[wire.ArchivedItem]
    ) -> None:
        self.ref = ref
        generation = ref.archive.generation
        self._v1 = VaultCipher(vk, bytes.fromhex(account_id), generation)
        self._v2 = WriteCipher(vk, bytes.fromhex(account_id), generation)
        self._items = items

    @property
    def id(self) -> str:
        return self.ref.id

    def _open(self, item: wire.ArchivedItem) -> dict[str, object] | None:
        envelope = b64decode(item.envelope)
        if item.device is None:
            value = self._v1.open_item(bytes.fromhex(item.item_id), envelope)
            return value if isinstance(value, dict) else None
        claims = WriteClaims(item.item_id, item.revision, item.device, item.device_seq or 0, False)
        return self._v2.open(claims, envelope).value

    def entries(self) -> Iterator[ArchivedEntry]:
        for item in self._items:
            try:
                data = self._open(item)
            except TamperedData:
                yield ArchivedEntry(item.item_id, None, None, tampered=True)
                continue
            except ValueError:  # not base64url, not hex: the same as altered
                yield ArchivedEntry(item.item_id, None, None, tampered=True)
                continue
            if data is not None:
                # The archive holds the server's last state: it is its own merge base.
                yield ArchivedEntry(item.item_id, data, data)


def open_server_archive(
    service: AccountService, unlocked: Unlocked, ref: ServerArchiveRef, password: str, key: AccountKey
) -> ServerArchiveSource:
    """Download ``ref`` and open it with the old ``password`` and ``key``."""
    archive_id = ref.archive.archive_id
    with unlocked.api() as api:
        keys = api.archive_keys(archive_id)
        items: list[wire.ArchivedItem] = []
        after: str | None = None
        while True:
            page = api.archive_items(archive_id, after)
            items.extend(page.items)
            if not page.has_more or page.cursor is None or page.cursor == after:
                break
            after = page.cursor
    account_id = unlocked.account_id
    params = KdfParams(t=keys.kdf_params.t, m_kib=keys.kdf_params.m_kib, p=keys.kdf_params.p)
    generation = ref.archive.generation
    try:
        salt = b64decode(keys.kdf_salt)
        # The email this device knows, not the one the server says: it is part of the key.
        derived = service.derive(unlocked.store.email, password, key, account_id, salt, params)
        vk = open_keyset(derived.auk, b64decode(keys.keyset), bytes.fromhex(account_id), generation)
    except (TamperedData, ValueError):
        raise AuthFailed(
            f"the old password or account key does not open archive {ref.id}",
            hint="give the password the account had before the reset (--old-password-stdin or "
            "SAFEHOLD_OLD_PASSWORD) and its account key (--account-key or --kit)",
        ) from None
    return ServerArchiveSource(ref, vk, account_id, items)


def delete_server_archive(unlocked: Unlocked, ref: ServerArchiveRef) -> None:
    with unlocked.api() as api:
        api.delete_archive(ref.archive.archive_id)
