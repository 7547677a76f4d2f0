from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import AccountKey, AccountKeyTypo, KitError, KitPayload


@given(st.text(min_size=1, max_size=80), st.emails(), st.binary(min_size=16, max_size=16))
def test_uri_round_trip(server: str, email: str, secret: bytes) -> None:
    payload = KitPayload(server=server, email=email, account_key=AccountKey(secret))
    assert KitPayload.from_uri(payload.to_uri()) == payload


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://example.com", "not a Safehold"),
        ("safehold://kit?v=2&server=x&email=y&key=z", "version"),
        ("safehold://kit?v=1&server=x&email=y", "'key'"),
    ],
)
def test_bad_uris(uri: str, message: str) -> None:
    with pytest.raises(KitError, match=message):
        KitPayload.from_uri(uri)


def test_typo_in_kit_key_is_a_typo() -> None:
    uri = KitPayload("s", "e", AccountKey(bytes(16))).to_uri()
    with pytest.raises(AccountKeyTypo):
        KitPayload.from_uri(uri[:-1] + ("1" if uri[-1] != "1" else "2"))
