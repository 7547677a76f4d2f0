from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import AccountKey, AccountKeyTypo, KitError, KitPayload

KEY = AccountKey(bytes(16))
KEY_TEXT = KEY.to_text()
# Surrogates have no UTF-8 form, so no URI can carry them.
text = st.text(st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=80)


@given(text, st.emails(), st.binary(min_size=16, max_size=16))
def test_uri_round_trip(server: str, email: str, secret: bytes) -> None:
    payload = KitPayload(server=server, email=email, account_key=AccountKey(secret))
    assert KitPayload.from_uri(payload.to_uri()) == payload


@given(
    st.emails().map(lambda e: e.replace("@", "+tag@", 1)),
    st.sampled_from(["https://vault.example.com/?a=1+2&b=c", "https://x.example/+path/"]),
)
def test_plus_signs_survive_the_round_trip(email: str, server: str) -> None:
    assert "+" in email
    payload = KitPayload(server=server, email=email, account_key=KEY)
    uri = payload.to_uri()
    assert "+" not in uri  # written as %2B, so no reader can mistake it for a space
    assert KitPayload.from_uri(uri) == payload


@given(st.from_regex(r"[a-z0-9.]{1,20}\+[a-z0-9.]{1,20}@example\.com", fullmatch=True))
def test_a_raw_plus_is_a_plus_not_a_space(email: str) -> None:
    """RFC 3986: only %-escapes are decoded; '+' meaning space is an HTML-form rule."""
    uri = f"safehold://kit?v=1&server=https%3A%2F%2Fs.example&email={email}&key={KEY_TEXT}"
    assert KitPayload.from_uri(uri).email == email


def test_percent_escapes_decode_as_utf8() -> None:
    uri = f"safehold://kit?v=1&server=s&email=j%C3%BCrgen%2Bx%20y%40example.com&key={KEY_TEXT}"
    assert KitPayload.from_uri(uri).email == "jürgen+x y@example.com"


def test_unknown_fields_are_ignored_and_order_does_not_matter() -> None:
    uri = f"safehold://kit?key={KEY_TEXT}&future=1&email=e&v=1&server=s"
    assert KitPayload.from_uri(uri) == KitPayload("s", "e", KEY)


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("https://example.com", "not a Safehold"),
        ("safehold://kit?v=2&server=x&email=y&key=z", "version"),
        ("safehold://kit?v=1&server=x&email=y", "'key'"),
        ("safehold://kit?server=x&email=y&key=z", "'v'"),
        ("safehold://other?v=1&server=x&email=y&key=z", "not a Safehold"),
        (f"safehold://kit?v=1&server=x&email=y&email=z&key={KEY_TEXT}", "'email' field twice"),
        (f"safehold://kit?v=1&server=x&email=100%&key={KEY_TEXT}", "broken %-escape"),
        (f"safehold://kit?v=1&server=x&email=%zz&key={KEY_TEXT}", "broken %-escape"),
        (f"safehold://kit?v=1&server=x&email=%C3&key={KEY_TEXT}", "not UTF-8"),
    ],
)
def test_bad_uris(uri: str, message: str) -> None:
    with pytest.raises(KitError, match=message):
        KitPayload.from_uri(uri)


def test_text_that_is_not_valid_unicode_cannot_be_written() -> None:
    with pytest.raises(KitError, match="not valid Unicode"):
        KitPayload("s", "a\udcff@example.com", KEY).to_uri()


def test_typo_in_kit_key_is_a_typo() -> None:
    uri = KitPayload("s", "e", AccountKey(bytes(16))).to_uri()
    with pytest.raises(AccountKeyTypo):
        KitPayload.from_uri(uri[:-1] + ("1" if uri[-1] != "1" else "2"))


@given(text, st.emails())
def test_folder_kits_round_trip(folder: str, email: str) -> None:
    payload = KitPayload(server="", email=email, account_key=KEY, folder=folder)
    uri = payload.to_uri()
    assert "&folder=" in uri and "server=" not in uri
    assert KitPayload.from_uri(uri) == payload


@pytest.mark.parametrize(
    "query",
    [
        f"v=1&server=https%3A%2F%2Fx&folder=%2Fv&email=a%40b&key={KEY_TEXT}",  # both
        f"v=1&email=a%40b&key={KEY_TEXT}",  # neither
    ],
)
def test_a_kit_names_a_server_or_a_folder(query: str) -> None:
    with pytest.raises(KitError, match="one of 'server' and 'folder'"):
        KitPayload.from_uri("safehold://kit?" + query)
