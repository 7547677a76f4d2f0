"""The record framing of a folder vault's log segments (spec/folder.md §4).

A segment is ``MAGIC`` followed by frames ``len(4, BE) | crc32(body)(4, BE) | body``.
A body starts with its type byte: ``R`` (a record) or ``E`` (the end frame, which holds
the number of records). A segment without its end frame is *incomplete* (a sync service
has not finished copying it): its whole records are still read, and it is read again
later. CRC-32 only detects truncation and accidental damage; authenticity comes from the
envelope's associated data, which the engine checks.
"""

from __future__ import annotations

import re
import struct
import zlib
from dataclasses import dataclass

from ..transport import Record

__all__ = ["MAGIC", "Segment", "decode_segment", "encode_segment"]

MAGIC = b"SHFOLD1\n"
_FRAME = struct.Struct(">II")
_RECORD = struct.Struct(">c16sQQB")
_DEVICE = re.compile(r"[0-9a-f]{1,64}")
_END = struct.Struct(">cQ")
#: A frame longer than this is damage, not a record (envelopes are far smaller).
MAX_FRAME = 64 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Segment:
    records: list[Record]
    #: True when the end frame was read and its count matched.
    complete: bool


def _frame(body: bytes) -> bytes:
    return _FRAME.pack(len(body), zlib.crc32(body)) + body


def encode_record(record: Record) -> bytes:
    device = record.device.encode("ascii")
    head = _RECORD.pack(b"R", bytes.fromhex(record.item_id), record.revision, record.seq, len(device))
    return _frame(head + device + record.envelope)


def encode_segment(records: list[Record]) -> bytes:
    out = [MAGIC]
    out.extend(encode_record(r) for r in records)
    out.append(_frame(_END.pack(b"E", len(records))))
    return b"".join(out)


def _decode_body(data: bytes, start: int, end: int) -> Record | None:
    if end - start < _RECORD.size:
        return None
    _, item, revision, seq, dlen = _RECORD.unpack_from(data, start)
    dev_start = start + _RECORD.size
    if dev_start + dlen > end:
        return None
    try:
        device = data[dev_start : dev_start + dlen].decode("ascii")
    except UnicodeDecodeError:
        return None
    # A device id is 1-64 lowercase hex digits (§2); anything else (an escape sequence that
    # `status` would print, say) is a damaged record, like a bad frame.
    if not _DEVICE.fullmatch(device):
        return None
    return Record(item.hex(), revision, device, seq, data[dev_start + dlen : end])


def decode_segment(data: bytes) -> Segment:
    """Every whole record of ``data``; stops at the first short or damaged frame."""
    if not data.startswith(MAGIC):
        return Segment([], False)
    view = memoryview(data)
    pos = len(MAGIC)
    records: list[Record] = []
    size = len(data)
    while pos + _FRAME.size <= size:
        length, crc = _FRAME.unpack_from(data, pos)
        start = pos + _FRAME.size
        end = start + length
        if length == 0 or length > MAX_FRAME or end > size or zlib.crc32(view[start:end]) != crc:
            break
        pos = end
        kind = data[start]
        if kind == 0x45 and length == _END.size:  # "E"
            _, count = _END.unpack_from(data, start)
            return Segment(records, count == len(records) and pos == size)
        record = _decode_body(data, start, end) if kind == 0x52 else None  # "R"
        if record is None:
            break
        records.append(record)
    return Segment(records, False)
