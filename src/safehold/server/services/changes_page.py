"""The JSON of one ``/vault/changes`` page (``wire.ChangesResponse``), built fast.

A first sync of 10,000 items is mostly encoding: pydantic models or ORM objects per row
would cost several times the query. So the database writes each change's JSON object
itself (:func:`change_json_column`), and Python only joins them. The document must stay
byte-for-byte what ``wire.ChangesResponse.model_dump_json`` gives, and no stored value,
however odd, may break out of its string: every string goes through the database's JSON
quoting.

A row the database cannot format (an ``updated_at`` stored in some other shape) comes
back as NULL, and that page is built by :func:`changes_json` from the plain columns.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime
from functools import reduce
from json.encoder import encode_basestring_ascii as json_string
from typing import Any

from sqlalchemy import (
    ColumnElement,
    LargeBinary,
    Row,
    String,
    case,
    cast,
    func,
    literal_column,
    or_,
    type_coerce,
)
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.types import NullType

from ..db.models import Item


def json_datetime(value: datetime) -> str:
    """A UTC datetime as pydantic writes it (``...T12:00:00.500000Z``, no fraction when it
    is zero)."""
    text = value.astimezone(UTC).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


#: ``updated_at`` as :func:`timestamp_text` gives it (UTC, six-digit fraction); anything
#: else takes the slow, general path.
_TIMESTAMP = re.compile(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d\.\d{6}")


def json_timestamp(text: str) -> str:
    """``YYYY-MM-DD HH:MM:SS.ffffff`` (UTC) as :func:`json_datetime` writes it, without
    parsing it into a ``datetime`` and printing that again."""
    if _TIMESTAMP.fullmatch(text) is None:
        parsed = datetime.fromisoformat(text)
        return json_datetime(parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC))
    fraction = "" if text.endswith(".000000") else text[19:]
    return f"{text[:10]}T{text[11:19]}{fraction}Z"


def timestamp_text(dialect: str) -> ColumnElement[str]:
    """``Item.updated_at`` as UTC text with a six-digit fraction, on either database.

    SQLite stores exactly that (SQLAlchemy's format, naive UTC): the column is read as it
    is. PostgreSQL formats its ``timestamptz`` itself, in UTC whatever the session's time
    zone."""
    if dialect == "postgresql":
        return func.to_char(func.timezone("UTC", Item.updated_at), "YYYY-MM-DD HH24:MI:SS.US")
    return type_coerce(Item.updated_at, String())


def _text(value: str) -> ColumnElement[str]:
    """A constant written into the statement (not a bound parameter, whose type
    PostgreSQL could not infer inside ``||`` and ``CASE``)."""
    return literal_column("'" + value.replace("'", "''") + "'", String())


def _concat(*parts: ColumnElement[Any]) -> ColumnElement[str]:
    """``a || b || ...`` whatever SQLAlchemy thinks the parts' types are."""
    return type_coerce(reduce(lambda left, right: left.concat(right), parts), String())


#: SQLite's shape of a stored ``updated_at`` (``YYYY-MM-DD HH:MM:SS.ffffff``), as a GLOB.
_SQLITE_TIMESTAMP_GLOB = (
    "-".join(["[0-9]" * 4, "[0-9]" * 2, "[0-9]" * 2]) + " " + ":".join(["[0-9]" * 2] * 3) + "." + "[0-9]" * 6
)


def _json_quoted(column: ColumnElement[Any] | InstrumentedAttribute[Any]) -> ColumnElement[str]:
    """``column`` as a JSON string literal, quoted and escaped by PostgreSQL."""
    return cast(func.to_json(column), String())


def _postgresql_change() -> ColumnElement[str]:
    # json_build_object would put spaces around its colons; pydantic writes none.
    utc = func.timezone("UTC", Item.updated_at)
    micros = type_coerce(func.to_char(utc, "US"), String())
    fraction = case((micros == _text("000000"), _text("")), else_=_concat(_text("."), micros))
    deleted = case(
        (or_(Item.deleted, Item.envelope.is_(None)), _text('"deleted":true')),
        else_=_text('"deleted":false'),
    )
    envelope = case(
        (Item.envelope.is_(None), _text(',"envelope":null')),
        else_=_concat(_text(',"envelope":'), _json_quoted(Item.envelope)),
    )
    claims = case(
        (
            Item.device.is_(None),
            _text(',"device":null,"device_seq":null'),
        ),
        else_=_concat(
            _text(',"device":'),
            _json_quoted(Item.device),
            _text(',"device_seq":'),
            func.coalesce(cast(Item.device_seq, String()), _text("null")),
        ),
    )
    return _concat(
        _text('{"item_id":'),
        _json_quoted(Item.item_id),
        _text(',"seq":'),
        cast(Item.seq, String()),
        _text(',"revision":'),
        cast(Item.revision, String()),
        _text(","),
        deleted,
        envelope,
        _text(',"updated_at":"'),
        func.to_char(utc, _text('YYYY-MM-DD"T"HH24:MI:SS')),
        fraction,
        _text('Z"'),
        claims,
        _text("}"),
    )


def _sqlite_change() -> ColumnElement[str]:
    stored = type_coerce(Item.updated_at, String())
    fraction = type_coerce(func.substr(stored, 20), String())
    updated_at = _concat(
        func.substr(stored, 1, 10),
        _text("T"),
        func.substr(stored, 12, 8),
        case((fraction == _text(".000000"), _text("")), else_=fraction),
        _text("Z"),
    )
    # json_object writes the object in one go (a chain of || would copy the envelope
    # once per piece) and quotes every string itself.
    change = func.json_object(
        _text("item_id"),
        Item.item_id,
        _text("seq"),
        Item.seq,
        _text("revision"),
        Item.revision,
        _text("deleted"),
        func.json(case((or_(Item.deleted, Item.envelope.is_(None)), _text("true")), else_=_text("false"))),
        _text("envelope"),
        Item.envelope,
        _text("updated_at"),
        updated_at,
        _text("device"),
        Item.device,
        _text("device_seq"),
        Item.device_seq,
    )
    # An updated_at in any other shape (not written by this server) is left to Python.
    return type_coerce(case((stored.op("GLOB")(_text(_SQLITE_TIMESTAMP_GLOB)), change)), String())


def change_json_column(dialect: str) -> ColumnElement[bytes]:
    """One row of ``items`` as the JSON object of a ``wire.Change`` in UTF-8, keys in the
    model's order; NULL for a row the database cannot format.

    Bytes, not text: the page is joined and sent as bytes, so decoding each object only
    to encode the page again would be wasted. The result type is left untyped so that
    SQLAlchemy hands the driver's bytes over without a converter call per row."""
    utf8: ColumnElement[Any]
    if dialect == "postgresql":
        utf8 = func.convert_to(_postgresql_change(), _text("UTF8"))
    else:
        utf8 = cast(_sqlite_change(), LargeBinary())
    untyped: ColumnElement[bytes] = type_coerce(utf8, NullType())  # type: ignore[arg-type]
    return untyped


def page_json(generation: int, changes: Sequence[bytes], cursor: int, has_more: bool) -> bytes:
    """The page around ``changes``, the JSON objects of its changes."""
    head = b'{"generation":%d,"changes":[' % generation
    tail = b'],"cursor":%d,"has_more":%s}' % (cursor, b"true" if has_more else b"false")
    if not changes:
        return head + tail
    # One join, so one buffer of the 1 MB or so of a full page: a second one (joining
    # the changes, then adding head and tail) made the allocator hand pages back to the
    # system and fault them in again on every request, at several times the copying.
    parts = list(changes)
    parts[0] = head + parts[0]
    parts[-1] = parts[-1] + tail
    return b",".join(parts)


ChangeRow = Row[str, int, int, str | None, str, bool, str | None, int | None]


def changes_json(generation: int, rows: Sequence[ChangeRow], cursor: int, has_more: bool) -> bytes:
    """The same page built in Python from plain columns (``updated_at`` as
    :func:`timestamp_text` gives it): the path for rows the database could not format."""
    parts: list[bytes] = []
    append = parts.append
    for item_id, seq, revision, envelope, updated_at, deleted, device, device_seq in rows:
        flag = "true" if deleted or envelope is None else "false"
        sealed = "null" if envelope is None else json_string(envelope)
        body = f'"deleted":{flag},"envelope":{sealed}'
        who = "null" if device is None else json_string(device)
        number = "null" if device_seq is None else f"{device_seq:d}"
        append(
            f'{{"item_id":{json_string(item_id)},"seq":{seq:d},"revision":{revision:d},{body},'
            f'"updated_at":"{json_timestamp(updated_at)}","device":{who},"device_seq":{number}}}'.encode()
        )
    return page_json(generation, parts, cursor, has_more)
