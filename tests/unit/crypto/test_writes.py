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
