"""The vault key, the keyset and items (spec §7).

    keyset = seal(auk, vk, ad="safehold/v1/keyset|{account_id hex}|{generation}")
    item   = seal(vk, canonical_json(item), ad="safehold/v1/item|{account_id hex}|{item_id hex}|{generation}")

``generation`` is raised by every account reset, so nothing sealed before a reset opens
after it.
"""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterator
from typing import Any

from ._envelope import KEY_LEN, EnvelopeKey
from ._errors import EncodingError, TamperedData

#: spec §7: vault key length.
VAULT_KEY_LEN = KEY_LEN
ITEM_ID_LEN = 16
#: spec §7: the largest integer canonical JSON may hold. Beyond 2^53 - 1 a JavaScript
#: reader (whose numbers are doubles) would round it, so the browser could not reproduce it.
MAX_SAFE_INTEGER = 2**53 - 1


def new_vault_key() -> bytes:
    return secrets.token_bytes(VAULT_KEY_LEN)


def new_item_id() -> bytes:
    return secrets.token_bytes(ITEM_ID_LEN)


def keyset_ad(account_id: bytes, generation: int) -> bytes:
    return f"safehold/v1/keyset|{account_id.hex()}|{generation}".encode()


def item_ad(account_id: bytes, item_id: bytes, generation: int) -> bytes:
    return f"safehold/v1/item|{account_id.hex()}|{item_id.hex()}|{generation}".encode()


def _check_scalar(value: Any) -> None:
    if value is None or isinstance(value, str | bool):  # bool is an int: test it first
        return
    if isinstance(value, int):
        if not -MAX_SAFE_INTEGER <= value <= MAX_SAFE_INTEGER:
            raise EncodingError("canonical JSON allows integers only up to 2^53 - 1 in size")
    elif isinstance(value, float):
        raise EncodingError("canonical JSON allows no fractional numbers, NaN or Infinity")
    else:
        raise EncodingError(f"canonical JSON cannot hold a {type(value).__name__}")


def _check_canonical(value: Any) -> None:
    """Raise :class:`EncodingError` unless ``value`` holds only what spec §7 allows: objects
    with text keys, arrays, text, booleans, null and integers with ``|n| <= 2^53 - 1``.

    Floats are refused outright: Python and JavaScript print them differently (``1e+16``
    against ``10000000000000000``, ``1.0`` against ``1``), so two implementations would seal
    different bytes for the same item. Error messages name the offending type, never a
    value: it may be a secret."""
    # Depth-first without recursion, so depth cannot exhaust the stack here; containers on
    # the current path are remembered so a value that contains itself ends the walk. The
    # exact-type tests are a fast path (this runs on every seal); _check_scalar and the
    # isinstance() tests handle subclasses the way json.dumps treats them.
    on_path: set[int] = set()
    stack: list[tuple[Iterator[Any], int]] = [(iter((value,)), 0)]
    while stack:
        values, owner = stack[-1]
        for v in values:
            t = type(v)
            if t is str or t is bool or v is None:
                continue
            if t is dict or t is list or isinstance(v, dict | list | tuple):
                if id(v) in on_path:
                    raise EncodingError("this value contains itself, so it has no JSON form")
                if isinstance(v, dict):
                    if not all(isinstance(k, str) for k in v):
                        raise EncodingError("canonical JSON objects have text keys only")
                    children = iter(v.values())
                else:
                    children = iter(v)
                on_path.add(id(v))
                stack.append((children, id(v)))
                break  # descend; this iterator resumes where it stopped once the child is done
            _check_scalar(v)
        else:
            stack.pop()
            on_path.discard(owner)


def canonical_json(item: Any) -> bytes:
    """spec §7: the one byte form of an item, so every implementation seals the same bytes.

    :class:`EncodingError` for anything that has no such form (see :func:`_check_canonical`),
    and for text that is not valid Unicode (a lone surrogate has no UTF-8 encoding)."""
    _check_canonical(item)
    try:
        text = json.dumps(item, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
        return text.encode("utf-8")
    except UnicodeEncodeError:
        raise EncodingError("canonical JSON holds only valid Unicode text (found a lone surrogate)") from None
    except RecursionError:
        raise EncodingError("this value is nested too deeply to be written as JSON") from None


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
        return self._ad_hex(item_id.hex())

    def _ad_hex(self, hex_id: str) -> bytes:
        return b"".join((self._ad_prefix, hex_id.encode(), self._ad_suffix))

    def __repr__(self) -> str:
        return f"VaultCipher(account={self._account_id.hex()}, generation={self._generation})"

    def seal_item(self, item_id: bytes, item: Any) -> bytes:
        return self._key.seal(canonical_json(item), self._ad(item_id))

    def seal_item_json(self, item_id: bytes | str, item_json: bytes) -> bytes:
        """:meth:`seal_item` of an item already in byte form: the value of a v2 write as its
        writer sealed it (:attr:`OpenedWrite.value_json`), kept without encoding it again.
        The caller vouches that ``item_json`` is one JSON object (:meth:`open_item` parses
        it). ``item_id`` may be given as 32 lowercase hex digits (as a pulled record names
        it, checked when it was opened) rather than converted to bytes and back."""
        hex_id = item_id if isinstance(item_id, str) else item_id.hex()
        if len(hex_id) != 32:
            raise EncodingError("an item id is 16 bytes (32 hex digits)")
        return self._key.seal(item_json, self._ad_hex(hex_id))

    def open_item(self, item_id: bytes, envelope: bytes) -> Any:
        """The item's JSON value; :class:`TamperedData` if it was altered, moved to another
        id or account, or sealed under another generation."""
        plaintext = self._key.open(envelope, self._ad(item_id))
        try:
            # Decoded here rather than by json.loads, which would first guess among UTF-8,
            # -16 and -32: items are UTF-8 (spec §7), and the guess cost as much as the parse.
            return json.loads(plaintext.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise TamperedData() from None
