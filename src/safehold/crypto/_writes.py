"""Version 2 item writes: the vault log (spec/protocol.md §11).

    ad        = "safehold/v2/item|" hex(account_id) "|" hex(item_id) "|" generation "|"
                revision "|" deleted "|" device "|" seq
    plaintext = pad(canonical_json({"prev": prev, "value": value}))
    write     = seal(vk, plaintext, ad)

``deleted`` is ``1`` for a sealed tombstone (``value`` is ``null``) and ``0`` otherwise
(``value`` is an object). ``prev`` names the writer's previous write (``"<item hex>.<revision>"``)
or is ``null`` for its first one. ``pad`` is ISO/IEC 7816-4 padding (a 0x80 byte, then
zeros) to :func:`padded_length`, so the size of an envelope says only its size class.
"""

from __future__ import annotations

import json
import re
from typing import Any, NamedTuple

from ._envelope import EnvelopeKey
from ._errors import EncodingError, TamperedData
from ._keys import canonical_json

#: spec §11.3: the smallest padded plaintext, and the step above which sizes grow linearly.
PAD_MIN = 256
PAD_STEP = 65536

_TWO_HEX32 = re.compile(r"[0-9a-f]{32}\|[0-9a-f]{32}")
_PREV = re.compile(r"([0-9a-f]{32})\.([1-9][0-9]{0,17})")


def padded_length(n: int) -> int:
    """spec §11.3: the padded size of ``n`` bytes of plaintext (a marker byte is added):
    the next power of two of at least 256 up to 64 KiB, then the next multiple of 64 KiB."""
    need = n + 1
    if need <= PAD_MIN:
        return PAD_MIN
    if need <= PAD_STEP:
        return 1 << (need - 1).bit_length()
    return -(-need // PAD_STEP) * PAD_STEP


def pad(data: bytes) -> bytes:
    return data + b"\x80" + bytes(padded_length(len(data)) - len(data) - 1)


def unpad(data: bytes) -> bytes:
    """The plaintext in ``data``; :class:`TamperedData` unless ``data`` has exactly a padded
    length and ends in 0x80 followed by zeros only."""
    # The marker is the byte before the trailing zeros (found in C, not byte by byte); a
    # marker at ``mark`` pads to exactly one size, which must be the data's own.
    mark = len(data.rstrip(b"\x00")) - 1
    if mark < 0 or data[mark] != 0x80 or padded_length(mark) != len(data):
        raise TamperedData()
    return data[:mark]


def write_ad(
    account_id: bytes, item_id: bytes, generation: int, revision: int, deleted: bool, device: str, seq: int
) -> bytes:
    return (
        f"safehold/v2/item|{account_id.hex()}|{item_id.hex()}|{generation}|{revision}|"
        f"{1 if deleted else 0}|{device}|{seq}"
    ).encode()


def prev_ref(item_id: str, revision: int) -> str:
    """The ``prev`` text naming a write: ``"<item hex>.<revision>"``."""
    return f"{item_id}.{revision}"


def parse_prev(text: str) -> tuple[str, int]:
    """``(item_id, revision)`` of a ``prev`` text; :class:`EncodingError` if malformed."""
    match = _PREV.fullmatch(text)
    if match is None:
        raise EncodingError("a prev reference is <32 hex digits>.<revision>")
    return match.group(1), int(match.group(2))


class WriteClaims(NamedTuple):
    """What storage claims about a write; every field is bound into the AD. (A named
    tuple: one is made per record pulled, at a third of a frozen dataclass's cost.)"""

    item_id: str
    revision: int
    device: str
    seq: int
    deleted: bool


class OpenedWrite(NamedTuple):
    value: dict[str, Any] | None  #: ``None``: a tombstone
    prev: str | None
    #: The exact bytes ``value`` was read from, when the body is in the canonical form's
    #: order (``prev`` first, no spaces): what the writer sealed, so a reader that keeps the
    #: item (the local vault) seals these bytes rather than encoding the value again.
    #: ``None`` for a tombstone, or a body written otherwise.
    value_json: bytes | None = None


_DECODER = json.JSONDecoder()
#: The start of a body in canonical order, ``prev`` checked as parse_prev() checks it.
_BODY_HEAD = re.compile(r'\{"prev":(?:null|"([0-9a-f]{32}\.[1-9][0-9]{0,17})"),"value":')


def _parse_body(body: bytes, text: str) -> tuple[Any, Any, bytes | None]:
    """``(value, prev, value_json)`` of a body (its bytes, and as text), reading it once: a
    body in canonical order piece by piece, so the value's own span is known; any other text
    as one JSON object (``value_json`` then ``None``), whose shape the caller checks."""
    head = _BODY_HEAD.match(text)
    if head is not None:
        start = head.end()
        try:
            value, end = _DECODER.raw_decode(text, start)
        except json.JSONDecodeError:
            raise TamperedData() from None
        if end == len(text) - 1 and text[end] == "}":
            # The value runs from the (ASCII) head to the closing brace, the body's last
            # byte: its bytes are a slice of the body, not the text encoded again.
            span = body[start:-1] if isinstance(value, dict) else None
            return value, head.group(1), span
    parsed = json.loads(text)
    if not isinstance(parsed, dict) or set(parsed) != {"prev", "value"}:
        raise TamperedData()
    return parsed["value"], parsed["prev"], None


def _check_claims(claims: WriteClaims) -> None:
    # One pattern over both ids (joined by a separator no id holds): a pull checks
    # every record's claims, and one match costs half of two.
    if claims.revision < 1 or claims.seq < 1:
        raise EncodingError("revision and seq start at 1")
    if not _TWO_HEX32.fullmatch(f"{claims.item_id}|{claims.device}"):
        raise EncodingError("item and device ids are 32 lowercase hex digits")


class WriteCipher:
    """Seals and opens one account's v2 writes under its vault key."""

    __slots__ = ("_account_id", "_ad_prefix", "_generation", "_key")

    def __init__(self, vk: bytes, account_id: bytes, generation: int) -> None:
        self._key = EnvelopeKey(vk)
        self._account_id = account_id
        self._generation = generation
        self._ad_prefix = f"safehold/v2/item|{account_id.hex()}|"

    def __repr__(self) -> str:
        return f"WriteCipher(account={self._account_id.hex()}, generation={self._generation})"

    def _ad(self, c: WriteClaims) -> bytes:
        # write_ad() with the account's part built once. The claims were checked first
        # (_check_claims): ids are lowercase hex, as bytes.fromhex(...).hex() would give.
        return (
            f"{self._ad_prefix}{c.item_id}|{self._generation}|{c.revision}|"
            f"{1 if c.deleted else 0}|{c.device}|{c.seq}"
        ).encode()

    def seal(
        self,
        claims: WriteClaims,
        value: dict[str, Any] | None,
        prev: str | None,
        *,
        nonce: bytes | None = None,
    ) -> bytes:
        """A v2 write. ``value`` is ``None`` exactly when ``claims.deleted``."""
        _check_claims(claims)
        if (value is None) != claims.deleted or (value is not None and not isinstance(value, dict)):
            raise EncodingError("a tombstone seals null and a live write seals an object")
        if prev is not None:
            parse_prev(prev)
        body = canonical_json({"prev": prev, "value": value})
        return self._key.seal(pad(body), self._ad(claims), nonce=nonce)

    def open(self, claims: WriteClaims, envelope: bytes) -> OpenedWrite:
        """The write, if it was sealed with exactly these claims; :class:`TamperedData`
        otherwise, and for bad padding, a body that is not ``{"prev", "value"}``, a
        tombstone that holds a value or a live write that holds none."""
        try:
            _check_claims(claims)
        except EncodingError:
            raise TamperedData() from None
        body = unpad(self._key.open(envelope, self._ad(claims)))
        try:
            value, prev, value_json = _parse_body(body, body.decode("utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise TamperedData() from None
        if claims.deleted:
            if value is not None:
                raise TamperedData()
        elif not isinstance(value, dict):
            raise TamperedData()
        if prev is not None and value_json is None:  # (in canonical order, _BODY_HEAD checked it)
            if not isinstance(prev, str):
                raise TamperedData()
            try:
                parse_prev(prev)
            except EncodingError:
                raise TamperedData() from None
        return OpenedWrite(value, prev, value_json)
