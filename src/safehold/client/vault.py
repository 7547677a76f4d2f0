"""An unlocked local vault: items as JSON objects, read and written through the vault key.

Every write seals the item, commits it to the store and queues it for the next sync
before returning. Items are found by id, exact title or an unambiguous prefix of either.

An item whose envelope would exceed what the server accepts for one item is refused here,
at save time: once queued it could never be uploaded, and would hold up every later sync.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from safehold import limits
from safehold.crypto import TamperedData, VaultCipher, canonical_json, new_item_id, padded_length

from .errors import AmbiguousItem, ItemNotFound, ItemTooLarge, Tampered
from .items.errors import ItemError
from .items.templates import Template
from .items.trash import TRASH_DAYS, TRASHED_AT, from_trash, is_trashed, purge_due, to_trash
from .store import VaultStore

#: The server's limit on one envelope (spec/api.md), re-exported for the sync engine.
MAX_ENVELOPE_CHARS = limits.MAX_ENVELOPE_CHARS


def envelope_chars(envelope: bytes) -> int:
    """Length of ``envelope`` as unpadded base64url text, as the server counts it."""
    return (len(envelope) * 4 + 2) // 3


#: spec §11.1: the longest ``prev`` a write can carry, and a v2 envelope's overhead over its
#: padded plaintext (version byte, nonce, tag: spec §5).
_LONGEST_PREV = "0" * 32 + "." + "9" * 18
_ENVELOPE_OVERHEAD = 1 + 12 + 16


def write_size(data: dict[str, Any]) -> int:
    """The size in bytes of ``data`` sealed as a version 2 write (spec §11.1, §11.3): padding
    rounds it up to its size class, so this, not the local envelope, must fit the server."""
    body = canonical_json({"prev": _LONGEST_PREV, "value": data})
    return padded_length(len(body)) + _ENVELOPE_OVERHEAD


def check_envelope_size(envelope: bytes, title: str, data: dict[str, Any] | None = None) -> None:
    size = envelope_chars(envelope)
    if data is not None:
        size = max(size, (write_size(data) * 4 + 2) // 3)
    if size > MAX_ENVELOPE_CHARS:
        raise ItemTooLarge(
            f"the item {title!r} is too large to sync: {size:,} characters encrypted, the server "
            f"accepts at most {MAX_ENVELOPE_CHARS:,} (about {MAX_ENVELOPE_CHARS * 3 // 4 // 1024} KiB "
            "of item data); it was not saved"
        )


#: Items of this type hold user-defined templates (see ``safehold.client.items``); they are
#: synced like any item but hidden from listings.
TEMPLATE_TYPE = "__template__"


def user_templates(stored_items: Iterable[StoredItem]) -> list[Template]:
    """The user-defined record types among ``stored_items`` (stored as items of
    :data:`TEMPLATE_TYPE`); a damaged or newer one is skipped, never blocking the vault."""
    found = []
    for stored in stored_items:
        if stored.type != TEMPLATE_TYPE:
            continue
        try:
            found.append(Template.from_json(stored.data.get("template", stored.data)))
        except ItemError:
            continue
    return found


@dataclass(frozen=True, slots=True)
class StoredItem:
    item_id: str
    data: dict[str, Any]

    @property
    def title(self) -> str:
        return str(self.data.get("title", ""))

    @property
    def type(self) -> str:
        return str(self.data.get("type", ""))


class Vault:
    """Items of one unlocked vault. What it hands out is read-only: change a copy and
    :meth:`put` that."""

    def __init__(
        self,
        store: VaultStore,
        cipher: VaultCipher,
        opened: dict[tuple[str, bytes], dict[str, Any]] | None = None,
    ) -> None:
        self.store = store
        self.cipher = cipher
        # Decrypted items by id and envelope: one command often reads the whole vault
        # twice (its templates, then its items), and decrypting is most of that cost. A
        # changed envelope is a different key, so nothing here can go stale. The agent
        # passes one that outlives the command (client.reads).
        self._opened: dict[tuple[str, bytes], dict[str, Any]] = {} if opened is None else opened

    def _open(self, item_id: str, envelope: bytes) -> dict[str, Any]:
        known = self._opened.get((item_id, envelope))
        if known is not None:
            return known
        value = self._decrypt(item_id, envelope)
        self._opened[(item_id, envelope)] = value
        return value

    def _decrypt(self, item_id: str, envelope: bytes) -> dict[str, Any]:
        try:
            value = self.cipher.open_item(bytes.fromhex(item_id), envelope)
        except TamperedData:
            raise Tampered(
                f"item {item_id} in the local vault failed to decrypt: it was altered or "
                "sealed with other keys"
            ) from None
        if not isinstance(value, dict):
            raise Tampered(f"item {item_id} is not an item")
        return value

    def all(self, *, include_templates: bool = False, include_trashed: bool = False) -> list[StoredItem]:
        """Every live item, sorted by title. Items in the trash (``trashed_at``, see
        ``items.trash``) are left out unless ``include_trashed``: a backup wants them."""
        items = [StoredItem(i, self._open(i, env)) for i, env in self.store.live_items()]
        if not include_templates:
            items = [it for it in items if it.type != TEMPLATE_TYPE]
        if not include_trashed:
            items = [it for it in items if it.data.get(TRASHED_AT) is None]
        items.sort(key=lambda it: (it.title.casefold(), it.item_id))
        return items

    def templates(self) -> list[StoredItem]:
        return [it for it in self.all(include_templates=True) if it.type == TEMPLATE_TYPE]

    def custom_templates(self) -> list[Template]:
        """The record types the user defined (synced like items)."""
        return user_templates(self.templates())

    def get(self, item_id: str) -> StoredItem | None:
        row = self.store.row(item_id)
        if row is None or row.local is None:
            return None
        return StoredItem(item_id, self._open(item_id, row.local))

    def find(
        self, query: str, *, include_templates: bool = False, trashed: bool | None = False
    ) -> StoredItem:
        """By id, exact title (case-insensitive), or unambiguous prefix of id or title.

        ``trashed``: False looks outside the trash, True only in it, None everywhere."""
        q = query.strip()
        if not q:
            raise ItemNotFound("no item named: give an id or a title")
        if len(q) == 32:
            found = self.get(q.lower())
            if found is not None and (trashed is None or (found.data.get(TRASHED_AT) is not None) == trashed):
                return found
        items = self.all(include_templates=include_templates, include_trashed=trashed is not False)
        if trashed:
            items = [it for it in items if it.data.get(TRASHED_AT) is not None]
        exact = [it for it in items if it.title == q] or [
            it for it in items if it.title.casefold() == q.casefold()
        ]
        if len(exact) == 1:
            return exact[0]
        if len(exact) > 1:
            raise AmbiguousItem(q, [(it.item_id, it.title) for it in exact])
        folded = q.casefold()
        prefix = [
            it for it in items if it.item_id.startswith(q.lower()) or it.title.casefold().startswith(folded)
        ]
        if len(prefix) == 1:
            return prefix[0]
        if prefix:
            raise AmbiguousItem(q, [(it.item_id, it.title) for it in prefix])
        raise ItemNotFound(
            f"no item {'in the trash ' if trashed else ''}matches {q!r}",
            hint="`safehold trash list` shows the trash" if trashed else "`safehold list` shows every item",
        )

    def put(self, data: dict[str, Any], item_id: str | None = None) -> StoredItem:
        """Save ``data`` (a new item unless ``item_id`` is given); committed on return."""
        item_id = item_id or new_item_id().hex()
        envelope = self.cipher.seal_item(bytes.fromhex(item_id), data)
        check_envelope_size(envelope, str(data.get("title", "")), data)
        with self.store.transaction():
            self.store.save_local(item_id, envelope)
            if "conflict_of" not in data:
                # A conflict copy edited so that it no longer carries the mark is resolved.
                self.store.drop_conflict(item_id)
            else:
                self.store.note_conflict_copy(item_id, data)
            self._count_edit()
        return StoredItem(item_id, data)

    def put_many(self, items: Sequence[tuple[str | None, dict[str, Any]]]) -> list[str]:
        """:meth:`put` for many items (``(item_id or None, data)``) in one transaction, each
        sealed and size-checked before anything is written; returns their ids in order."""
        rows: list[tuple[str, bytes]] = []
        for item_id, data in items:
            item_id = item_id or new_item_id().hex()
            envelope = self.cipher.seal_item(bytes.fromhex(item_id), data)
            check_envelope_size(envelope, str(data.get("title", "")))
            rows.append((item_id, envelope))
        if not rows:
            return []
        with self.store.transaction():
            self.store.save_local_many(rows)
            unmarked = []
            for (item_id, _), (given, data) in zip(rows, items, strict=True):
                if "conflict_of" in data:
                    self.store.note_conflict_copy(item_id, data)
                elif given is not None:  # a new id has no conflict record to drop
                    unmarked.append(item_id)
            self.store.drop_conflicts(unmarked)
            self.store.set_meta(**{self.EDITS_KEY: str(self.edits_since_backup + len(rows))})
        return [item_id for item_id, _ in rows]

    def delete(self, item_id: str) -> None:
        with self.store.transaction():
            self.store.save_local(item_id, None)
            self._count_edit()

    #: Meta key counting edits since the last automatic backup (interop/backups.py).
    EDITS_KEY = "edits_since_backup"

    def _count_edit(self) -> None:
        self.store.set_meta(**{self.EDITS_KEY: str(self.edits_since_backup + 1)})

    @property
    def edits_since_backup(self) -> int:
        raw = self.store.meta(self.EDITS_KEY) or "0"
        return int(raw) if raw.isdigit() else 0

    # --- the trash (items.trash) ---------------------------------------------------------

    def trashed(self) -> list[StoredItem]:
        """The items in the trash, sorted by title."""
        return [it for it in self.all(include_trashed=True) if is_trashed(it.data)]

    def move_to_trash(self, stored: StoredItem, now: datetime) -> StoredItem:
        moved = self.put(to_trash(stored.data, now), stored.item_id)
        # A conflict copy put in the trash is dealt with: `status` stops listing it.
        self.store.drop_conflict(stored.item_id)
        return moved

    def restore_from_trash(self, stored: StoredItem, now: datetime) -> StoredItem:
        return self.put(from_trash(stored.data, now), stored.item_id)

    def purge_expired_trash(
        self, now: datetime, days: int = TRASH_DAYS, *, among: list[StoredItem] | None = None
    ) -> list[StoredItem]:
        """Delete for good the items in the trash for ``days`` days or more; returns them.
        ``among``: a listing the caller already holds (trashed items included), to spare a pass."""
        candidates = self.trashed() if among is None else among
        due = [it for it in candidates if purge_due(it.data, now, days)]
        for it in due:
            self.delete(it.item_id)
        return due
