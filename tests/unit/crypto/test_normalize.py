"""spec §2: e = UTF-8(lower(trim(NFKC(email)))), pw = UTF-8(NFKD(password)), untrimmed."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import EncodingError, email_bytes, normalize_email, password_bytes

#: spec §2: the white space `trim` removes, which is Python's str.isspace() (and which
#: protocol.js spells out, since JavaScript's trim() differs).
SPEC_WHITE_SPACE = frozenset(
    "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005"
    "\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
# Surrogates cannot be UTF-8 encoded, so no email or password can contain them.
unicode_text = st.text(st.characters(blacklist_categories=("Cs",)), max_size=40)


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("  ALICE@Example.COM ", "alice@example.com"),
        ("\u3000bob@example.org\t\n", "bob@example.org"),  # ideographic space, tab, newline
        ("Ｃａｒｏｌ@ＥＸＡＭＰＬＥ.com", "carol@example.com"),  # full-width forms fold under NFKC
        ("Jürgen@BÜCHER.example", "jürgen@bücher.example"),
        ("ju\u0308rgen@example.com", "jürgen@example.com"),  # decomposed ü composes under NFKC
        ("ﬁ@example.com", "fi@example.com"),  # ligature
        ("ǅ@example.com", "dž@example.com"),  # title-case digraph
        ("a b@example.com", "a b@example.com"),  # inner white space stays
        ("\ufeffdave@example.com", "\ufeffdave@example.com"),  # a BOM is not white space here
    ],
)
def test_email_examples(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized
    assert email_bytes(raw) == normalized.encode("utf-8")


def test_trim_removes_exactly_the_specified_white_space() -> None:
    # Pins Python's idea of white space to the set spec §2 and protocol.js name: a future
    # Unicode version that changed it would change keys, and this test would say so.
    assert {chr(c) for c in range(0x110000) if chr(c).isspace()} == SPEC_WHITE_SPACE


@given(unicode_text)
def test_email_normalization_is_idempotent(raw: str) -> None:
    # The server stores the normalised email and clients derive keys from what it stores,
    # so normalising twice must change nothing.
    once = normalize_email(raw)
    assert normalize_email(once) == once


@given(unicode_text)
def test_email_normal_form_properties(raw: str) -> None:
    e = normalize_email(raw)
    assert e == e.strip()
    assert e == e.lower()
    assert email_bytes(raw).decode("utf-8") == e


@given(unicode_text, st.sampled_from(sorted(SPEC_WHITE_SPACE)), st.sampled_from(sorted(SPEC_WHITE_SPACE)))
def test_email_surrounding_white_space_and_case_do_not_matter(raw: str, before: str, after: str) -> None:
    assert normalize_email(before + raw.upper() + after) == normalize_email(raw.upper())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("\u00e9", "e\u0301"),  # precomposed and decomposed é
        ("\u212b", "A\u030a"),  # ANGSTROM SIGN and A + ring
        ("ﬁ", "fi"),  # compatibility ligature
        ("①", "1"),
    ],
)
def test_password_equivalent_spellings_give_the_same_bytes(a: str, b: str) -> None:
    assert password_bytes(a) == password_bytes(b)


@pytest.mark.parametrize("bad", ["a\udcff@example.com", "\ud800"])
def test_text_that_is_not_valid_unicode_is_a_clear_error(bad: str) -> None:
    with pytest.raises(EncodingError, match="email"):
        email_bytes(bad)
    with pytest.raises(EncodingError, match="password"):
        password_bytes(bad)


def test_password_is_not_trimmed_nor_case_folded() -> None:
    assert password_bytes(" pw ") == b" pw "
    assert password_bytes("PW") != password_bytes("pw")
    assert password_bytes("pw\n") != password_bytes("pw")


@given(unicode_text)
def test_password_bytes_are_nfkd_utf8(password: str) -> None:
    pw = password_bytes(password)
    decoded = pw.decode("utf-8")
    assert decoded == unicodedata.normalize("NFKD", password)
    assert unicodedata.is_normalized("NFKD", decoded)
    assert password_bytes(decoded) == pw
