"""spec §11 (protocol v2 item writes): the vectors in spec/vectors/protocol-v2.json pass,
padding round-trips for every size, and every refused form fails as tampered."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import (
    EncodingError,
    TamperedData,
    WriteCipher,
    WriteClaims,
    pad,
    padded_length,
    parse_prev,
    unpad,
    write_ad,
)

V2 = json.loads(
    (Path(__file__).resolve().parents[3] / "spec" / "vectors" / "protocol-v2.json").read_text(
        encoding="utf-8"
    )
)
CIPHER = WriteCipher(bytes.fromhex(V2["vk"]), bytes.fromhex(V2["account_id"]), V2["generation"])


def claims(c: dict[str, Any]) -> WriteClaims:
    return WriteClaims(c["item_id"], c["revision"], c["device"], c["seq"], c["deleted"])


@pytest.mark.parametrize("case", V2["padding"], ids=lambda c: str(c["plaintext_len"]))
def test_padding_sizes(case: dict[str, int]) -> None:
    assert padded_length(case["plaintext_len"]) == case["padded_len"]
    assert len(pad(bytes(case["plaintext_len"]))) == case["padded_len"]


@pytest.mark.parametrize("case", V2["padding_refuse"], ids=lambda c: c["why"])
def test_padding_refused(case: dict[str, str]) -> None:
    with pytest.raises(TamperedData):
        unpad(bytes.fromhex(case["padded"]))


@given(st.binary(max_size=70_000))
def test_padding_round_trips_and_hides_the_size_within_a_class(data: bytes) -> None:
    padded = pad(data)
    assert unpad(padded) == data
    assert len(padded) == padded_length(len(data)) >= 256
    # One size class: a power of two up to 64 KiB, a multiple of 64 KiB above.
    size = len(padded)
    assert (size & (size - 1) == 0) if size <= 65536 else size % 65536 == 0


@pytest.mark.parametrize("case", V2["writes"], ids=lambda c: c["label"])
def test_write_vectors(case: dict[str, Any]) -> None:
    c = claims(case["claims"])
    ad = write_ad(bytes.fromhex(V2["account_id"]), bytes.fromhex(c.item_id), V2["generation"], c.revision,
                  c.deleted, c.device, c.seq)  # fmt: skip
    assert ad.decode() == case["ad"]
    sealed = CIPHER.seal(c, case["value"], case["prev"], nonce=bytes.fromhex(case["nonce"]))
    assert sealed.hex() == case["envelope"]
    opened = CIPHER.open(c, sealed)
    assert (opened.value, opened.prev) == (case["value"], case["prev"])


@pytest.mark.parametrize("case", V2["write_refuse"], ids=lambda c: c["why"])
def test_write_refusals(case: dict[str, Any]) -> None:
    with pytest.raises(TamperedData):
        CIPHER.open(claims(case["claims"]), bytes.fromhex(case["envelope"]))


def test_another_generation_does_not_open() -> None:
    case = V2["writes"][0]
    other = WriteCipher(bytes.fromhex(V2["vk"]), bytes.fromhex(V2["account_id"]), V2["generation"] + 1)
    with pytest.raises(TamperedData):
        other.open(claims(case["claims"]), bytes.fromhex(case["envelope"]))


def test_writer_refuses_mismatched_values() -> None:
    c = claims(V2["writes"][0]["claims"])
    with pytest.raises(EncodingError):
        CIPHER.seal(WriteClaims(c.item_id, 1, c.device, 1, True), {"a": "b"}, None)
    with pytest.raises(EncodingError):
        CIPHER.seal(c, None, None)
    with pytest.raises(EncodingError):
        CIPHER.seal(c, {"a": "b"}, "not-a-ref")
    with pytest.raises(EncodingError):
        CIPHER.seal(WriteClaims("AB" * 16, 1, c.device, 1, False), {}, None)
    assert parse_prev("ab" * 16 + ".7") == ("ab" * 16, 7)


# --- value_json: the bytes a reader keeps (spec §11.7) ------------------------------------

_ITEMS = st.dictionaries(
    st.text(max_size=8),
    st.one_of(st.text(max_size=20), st.integers(-(2**53) + 1, 2**53 - 1), st.booleans(), st.none()),
    max_size=6,
)


@given(_ITEMS, st.booleans())
def test_value_json_is_the_writers_canonical_bytes(value: dict[str, Any], with_prev: bool) -> None:
    from safehold.crypto import canonical_json

    c = claims(V2["writes"][0]["claims"])
    c = WriteClaims(c.item_id, 2, c.device, 2, False)
    prev = c.item_id + ".1" if with_prev else None
    opened = CIPHER.open(c, CIPHER.seal(c, value, prev))
    assert opened.value == value and opened.prev == prev
    assert opened.value_json == canonical_json(value)


def _raw_write(c: WriteClaims, body: bytes) -> bytes:
    from safehold.crypto import EnvelopeKey

    ad = write_ad(bytes.fromhex(V2["account_id"]), bytes.fromhex(c.item_id), V2["generation"],
                  c.revision, c.deleted, c.device, c.seq)  # fmt: skip
    return EnvelopeKey(bytes.fromhex(V2["vk"])).seal(pad(body), ad)


@pytest.mark.parametrize(
    ("body", "value", "prev"),
    [
        # Another order, or spaces: read whole, no bytes to keep.
        (b'{"value":{"a":"b"},"prev":null}', {"a": "b"}, None),
        (b'{"prev":null, "value":{"a":"b"}}', {"a": "b"}, None),
        # A key given twice: what json.loads takes (the last), never the first value's span.
        (b'{"prev":null,"value":{"a":"b"},"value":{"a":"c"}}', {"a": "c"}, None),
    ],
)
def test_bodies_not_in_canonical_order_are_read_whole(body: bytes, value: Any, prev: Any) -> None:
    c = WriteClaims("ab" * 16, 1, "cd" * 16, 1, False)
    opened = CIPHER.open(c, _raw_write(c, body))
    assert (opened.value, opened.prev, opened.value_json) == (value, prev, None)


@pytest.mark.parametrize(
    "body",
    [
        b'{"prev":"x","value":{}}',  # prev not a reference
        b'{"prev":null,"value":{}',  # cut short
        b'{"prev":null,"value":{}}x',  # trailing bytes
        b'{"prev":null,"value":[1]}',  # a live write holds an object
        b'{"prev":null,"value":{},"other":1}',  # another key
    ],
)
def test_malformed_bodies_are_tampered(body: bytes) -> None:
    c = WriteClaims("ab" * 16, 1, "cd" * 16, 1, False)
    with pytest.raises(TamperedData):
        CIPHER.open(c, _raw_write(c, body))


def test_a_tombstone_has_no_value_json() -> None:
    c = WriteClaims("ab" * 16, 2, "cd" * 16, 2, True)
    opened = CIPHER.open(c, CIPHER.seal(c, None, "ab" * 16 + ".1"))
    assert opened.value is None and opened.value_json is None


def test_sealing_the_value_json_gives_the_item() -> None:
    from safehold.crypto import VaultCipher

    c = WriteClaims("ab" * 16, 1, "cd" * 16, 1, False)
    opened = CIPHER.open(c, CIPHER.seal(c, {"title": "é", "n": 3}, None))
    assert opened.value_json is not None
    vault = VaultCipher(bytes.fromhex(V2["vk"]), bytes.fromhex(V2["account_id"]), V2["generation"])
    local = vault.seal_item(bytes.fromhex(c.item_id), opened.value)
    kept = vault.seal_item_json(bytes.fromhex(c.item_id), opened.value_json)
    assert vault.open_item(bytes.fromhex(c.item_id), kept) == vault.open_item(bytes.fromhex(c.item_id), local)
