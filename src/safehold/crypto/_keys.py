"""The vault key, the keyset and items (spec §7).

    keyset = seal(auk, vk, ad="safehold/v1/keyset|{account_id hex}|{generation}")
    item   = seal(vk, canonical_json(item), ad="safehold/v1/item|{account_id hex}|{item_id hex}|{generation}")

``generation`` is raised by every account reset, so nothing sealed before a reset opens
after it.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

from ._envelope import KEY_LEN, EnvelopeKey
from ._errors import TamperedData

#: spec §7: vault key length.
VAULT_KEY_LEN = KEY_LEN
ITEM_ID_LEN = 16


def new_vault_key() -> bytes:
    return secrets.token_bytes(VAULT_KEY_LEN)


def new_item_id() -> bytes:
    return secrets.token_bytes(ITEM_ID_LEN)


def keyset_ad(account_id: bytes, generation: int) -> bytes:
    return f"safehold/v1/keyset|{account_id.hex()}|{generation}".encode()


def item_ad(account_id: bytes, item_id: bytes, generation: int) -> bytes:
    return f"safehold/v1/item|{account_id.hex()}|{item_id.hex()}|{generation}".encode()


def canonical_json(item: Any) -> bytes:
    """spec §7: the one byte form of an item, so every implementation seals the same bytes."""
    return json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def seal_keyset(auk: bytes, vk: bytes, account_id: bytes, generation: int) -> bytes:
    return EnvelopeKey(auk).seal(vk, keyset_ad(account_id, generation))


def open_keyset(auk: bytes, keyset: bytes, account_id: bytes, generation: int) -> bytes:
    """The vault key. :class:`TamperedData` also when the password or account key is wrong."""
    vk = EnvelopeKey(auk).open(keyset, keyset_ad(account_id, generation))
    if len(vk) != VAULT_KEY_LEN:
        raise TamperedData()
    return vk


class VaultCipher:
    """Seals and opens one account's items under its vault key."""

    __slots__ = ("_account_id", "_ad_prefix", "_ad_suffix", "_generation", "_key")

    def __init__(self, vk: bytes, account_id: bytes, generation: int) -> None:
        self._key = EnvelopeKey(vk)
        self._account_id = account_id
        self._generation = generation
        # item_ad() split around the item id, so a bulk open builds each AD with one join.
        self._ad_prefix = f"safehold/v1/item|{account_id.hex()}|".encode()
        self._ad_suffix = f"|{generation}".encode()

    def _ad(self, item_id: bytes) -> bytes:
        return b"".join((self._ad_prefix, item_id.hex().encode(), self._ad_suffix))

    def __repr__(self) -> str:
        return f"VaultCipher(account={self._account_id.hex()}, generation={self._generation})"

    def seal_item(self, item_id: bytes, item: Any) -> bytes:
        return self._key.seal(canonical_json(item), self._ad(item_id))

    def open_item(self, item_id: bytes, envelope: bytes) -> Any:
        """The item's JSON value; :class:`TamperedData` if it was altered, moved to another
        id or account, or sealed under another generation."""
        plaintext = self._key.open(envelope, self._ad(item_id))
        try:
            return json.loads(plaintext)
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise TamperedData() from None
