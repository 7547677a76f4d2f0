"""The shared wire models: encodings are enforced where a request enters."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from safehold import wire

HEX_ID = "0123456789abcdef0123456789abcdef"


def test_ids_are_32_lowercase_hex() -> None:
    wire.Write(item_id=HEX_ID, base_revision=0, envelope="AQ")
    for bad in [HEX_ID.upper(), HEX_ID[:-1], HEX_ID + "0", "g" * 32]:
        with pytest.raises(ValidationError):
            wire.Write(item_id=bad, base_revision=0)


def test_unknown_fields_are_refused() -> None:
    with pytest.raises(ValidationError):
        wire.AuthStartRequest.model_validate({"email": "a@b.c", "password": "x"})


def test_a_push_is_bounded() -> None:
    write = wire.Write(item_id=HEX_ID, base_revision=0)
    with pytest.raises(ValidationError):
        wire.PushRequest(writes=[write] * 501)


@given(st.text(max_size=40))
def test_b64_fields_accept_only_the_urlsafe_alphabet(text: str) -> None:
    ok = all(c.isascii() and (c.isalnum() or c in "-_") for c in text)
    try:
        wire.Write(item_id=HEX_ID, base_revision=1, envelope=text)
    except ValidationError:
        assert not ok
    else:
        assert ok


def test_error_body_shape() -> None:
    body = wire.error_body(wire.ErrorCode.TOO_MANY_REQUESTS, "slow down", retry_after=2.5)
    assert body == {"error": {"code": "too_many_requests", "message": "slow down", "retry_after": 2.5}}
    parsed = wire.ErrorBody.model_validate(body)
    assert parsed.error.code is wire.ErrorCode.TOO_MANY_REQUESTS
