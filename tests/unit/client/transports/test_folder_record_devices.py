"""A folder record's device id is 1-64 lowercase hex digits (spec/folder.md §5): anything
else is a damaged record, never text that `status` would print to a terminal."""

from __future__ import annotations

import pytest

from safehold.client.folder.records import decode_segment, encode_segment
from safehold.client.transport import Record

GOOD = Record("0" * 32, 1, "ab12", 1, b"sealed")


@pytest.mark.parametrize("device", ["\x1b]0;pwned\x07", "AB12", "", "g" * 4, "a" * 65, "ab 12"])
def test_a_record_with_a_device_that_is_not_hex_is_damaged(device: str) -> None:
    bad = Record("1" * 32, 1, device, 1, b"sealed")
    segment = decode_segment(encode_segment([GOOD, bad]))
    assert segment.records == [GOOD]
    assert not segment.complete


def test_hex_devices_of_every_allowed_length_are_read() -> None:
    records = [Record("2" * 32, 1, "f" * n, 1, b"x") for n in (1, 32, 64)]
    segment = decode_segment(encode_segment(records))
    assert segment.records == records and segment.complete
