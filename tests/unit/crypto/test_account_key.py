from __future__ import annotations

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import AccountKey, AccountKeyFormat, AccountKeyTypo
from safehold.crypto._account_key import ALPHABET

secrets_ = st.binary(min_size=16, max_size=16)
ALIASES = {"0": "O", "1": "IL"}


@given(secrets_)
def test_text_round_trips(secret: bytes) -> None:
    key = AccountKey(secret)
    text = key.to_text()
    assert text.startswith("SH1-")
    assert [len(g) for g in text.split("-")] == [3, 4, 4, 4, 4, 4, 4, 4]
    assert AccountKey.parse(text) == key
    assert AccountKey.parse(text.lower().replace("-", "  ")) == key


@given(secrets_, st.data())
def test_every_single_substitution_is_caught(secret: bytes, data: st.DataObject) -> None:
    body = AccountKey(secret).to_text()[4:].replace("-", "")
    pos = data.draw(st.integers(0, len(body) - 1))
    choices = [c for c in ALPHABET if c != body[pos]]
    wrong = data.draw(st.sampled_from(choices))
    typed = body[:pos] + wrong + body[pos + 1 :]
    with pytest.raises(AccountKeyTypo):
        AccountKey.parse("SH1-" + typed)


@given(secrets_)
def test_every_substitution_everywhere_is_caught(secret: bytes) -> None:
    body = AccountKey(secret).to_text()[4:].replace("-", "")
    for pos in range(len(body)):
        for wrong in ALPHABET:
            if wrong == body[pos]:
                continue
            with pytest.raises(AccountKeyTypo):
                AccountKey.parse(body[:pos] + wrong + body[pos + 1 :])


@given(secrets_)
def test_every_swap_of_neighbours_is_caught(secret: bytes) -> None:
    body = AccountKey(secret).to_text()[4:].replace("-", "")
    for i in range(len(body) - 1):
        if body[i] == body[i + 1]:
            continue
        swapped = body[:i] + body[i + 1] + body[i] + body[i + 2 :]
        with pytest.raises(AccountKeyTypo):
            AccountKey.parse(swapped)


@given(secrets_, st.data())
def test_look_alikes_read_as_digits(secret: bytes, data: st.DataObject) -> None:
    text = AccountKey(secret).to_text()
    typed = "".join(data.draw(st.sampled_from(ALIASES[c] + c)) if c in ALIASES else c for c in text)
    assert AccountKey.parse(typed) == AccountKey(secret)


@given(st.text(max_size=60))
def test_parse_never_raises_anything_else(text: str) -> None:
    with contextlib.suppress(AccountKeyTypo, AccountKeyFormat):
        AccountKey.parse(text)


def test_shape_errors_say_what_is_wrong() -> None:
    with pytest.raises(AccountKeyFormat, match="28 characters"):
        AccountKey.parse("SH1-ABCD")
    with pytest.raises(AccountKeyFormat, match="version"):
        AccountKey.parse("SH9-" + "0" * 28)
    with pytest.raises(AccountKeyFormat, match="'U'"):
        AccountKey.parse("SH1-" + "U" * 28)


def test_repr_hides_the_secret() -> None:
    key = AccountKey(b"\x42" * 16)
    assert "42" not in repr(key) and key.to_text() not in repr(key)


def test_generate_is_random() -> None:
    assert AccountKey.generate() != AccountKey.generate()
