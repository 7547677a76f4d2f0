"""spec/vectors/folder-v1.json: the implementation and an independent reading of
spec/folder.md §4 agree with the committed vectors."""

from __future__ import annotations

import importlib.util
import json
import struct
import sys
import zlib
from pathlib import Path
from typing import Any

import pytest

from safehold.client.folder.layout import classify
from safehold.client.folder.records import decode_segment, encode_segment
from safehold.client.transport import Record

ROOT = Path(__file__).resolve().parents[4]
VECTORS: dict[str, Any] = json.loads((ROOT / "spec" / "vectors" / "folder-v1.json").read_text())


def _independent_decode(data: bytes) -> tuple[list[dict[str, object]], bool]:
    """spec/folder.md §4, read straight from the text."""
    assert data[:8] == b"SHFOLD1\n"
    pos, out = 8, []
    while pos + 8 <= len(data):
        length, crc = struct.unpack(">II", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if len(body) != length or zlib.crc32(body) != crc:
            return out, False
        pos += 8 + length
        if body[:1] == b"E":
            return out, struct.unpack(">Q", body[1:])[0] == len(out) and pos == len(data)
        item, revision, seq, dlen = body[1:17], *struct.unpack(">QQB", body[17:34])
        out.append(
            {
                "item_id": item.hex(),
                "revision": revision,
                "device": body[34 : 34 + dlen].decode(),
                "seq": seq,
                "envelope": body[34 + dlen :].hex(),
            }
        )
    return out, False


@pytest.mark.parametrize("case", VECTORS["segments"], ids=lambda c: c["name"])
def test_segment_vectors(case: dict[str, Any]) -> None:
    data = bytes.fromhex(case["segment"])
    records = [
        Record(r["item_id"], r["revision"], r["device"], r["seq"], bytes.fromhex(r["envelope"]))
        for r in case["records"]
    ]
    seg = decode_segment(data)
    assert seg.records == records
    if case["expected"].startswith("encode"):
        assert encode_segment(records) == data
        assert seg.complete
        assert _independent_decode(data) == (case["records"], True)
    else:
        assert not seg.complete
    for cut in case["truncations"]:
        part = decode_segment(data[: cut["length"]])
        assert (len(part.records), part.complete) == (cut["whole_records"], cut["complete"])
        assert part.records == records[: cut["whole_records"]]


@pytest.mark.parametrize("case", VECTORS["names"], ids=lambda c: c["name"])
def test_name_vectors(case: dict[str, str]) -> None:
    entry = classify(case["name"])
    assert (entry.kind.value, entry.canonical) == (case["kind"], case["canonical"])


def test_the_vector_file_is_up_to_date() -> None:
    script = ROOT / "scripts" / "folder_vectors.py"
    spec = importlib.util.spec_from_file_location("folder_vectors", script)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["folder_vectors"] = module
    spec.loader.exec_module(module)
    assert module.render() == (ROOT / "spec" / "vectors" / "folder-v1.json").read_text()


@pytest.mark.parametrize("case", VECTORS["key_checks"], ids=lambda c: c["account_id"][:8])
def test_key_check_vectors(case: dict[str, str]) -> None:
    # An independent reading of spec §3: HKDF-SHA256 with no salt, 16 bytes.
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    from safehold.crypto import AccountKey, account_key_check, b64encode

    key = AccountKey.parse(case["account_key"])
    info = b"safehold/folder/v1/key-check|" + case["account_id"].encode()
    expected = HKDF(algorithm=hashes.SHA256(), length=16, salt=None, info=info).derive(key.secret)
    assert b64encode(expected) == case["key_check"]
    assert b64encode(account_key_check(key, bytes.fromhex(case["account_id"]))) == case["key_check"]
