from __future__ import annotations

import hashlib
import math
import string
from importlib import resources
from itertools import product

import pytest

from safehold.client.items import (
    InvalidGeneratorOptions,
    eff_wordlist,
    generate_passphrase,
    generate_password,
)
from safehold.client.items.generator import LOOKALIKES, SYMBOLS, character_classes, password_count

EFF_SHA256 = "addd35536511597a02fa0a9ff1e5284677b8883b83e986e43f15a3db996b903e"


def test_default_password_has_every_class() -> None:
    for _ in range(50):
        generated = generate_password()
        value = generated.value
        assert len(value) == 20
        assert any(c in string.ascii_lowercase for c in value)
        assert any(c in string.ascii_uppercase for c in value)
        assert any(c in string.digits for c in value)
        assert any(c in SYMBOLS for c in value)
        assert set(value) <= set(string.ascii_letters + string.digits + SYMBOLS)


@pytest.mark.parametrize("length", [4, 5, 12, 64, 200])
def test_length(length: int) -> None:
    assert len(generate_password(length).value) == length


def test_only_chosen_classes() -> None:
    for _ in range(30):
        value = generate_password(16, upper=False, symbols=False).value
        assert set(value) <= set(string.ascii_lowercase + string.digits)
        assert any(c.isdigit() for c in value) and any(c.islower() for c in value)
    assert generate_password(8, lower=False, upper=False, symbols=False).value.isdigit()


def test_exclude_lookalikes() -> None:
    for _ in range(50):
        assert not set(generate_password(40, exclude_lookalikes=True).value) & LOOKALIKES


def test_entropy_is_log2_of_the_strings_that_can_come_out() -> None:
    # Digits only: every string counts.
    assert generate_password(10, lower=False, upper=False, symbols=False).entropy_bits == pytest.approx(
        10 * math.log2(10)
    )
    # Two classes, brute-forced count for a short length.
    count = sum(
        1
        for s in product(string.ascii_lowercase + string.digits, repeat=3)
        if any(c.isdigit() for c in s) and any(c.islower() for c in s)
    )
    assert password_count(3, [26, 10]) == count
    assert generate_password(4, upper=False, symbols=False).entropy_bits == pytest.approx(
        math.log2(password_count(4, [26, 10]))
    )
    # Requiring every class costs a little entropy but not much at length 20.
    full = generate_password().entropy_bits
    alphabet = sum(
        len(c)
        for c in character_classes(
            lower=True, upper=True, digits=True, symbols=True, exclude_lookalikes=False
        )
    )
    assert 20 * math.log2(alphabet) - 1 < full < 20 * math.log2(alphabet)


def test_lookalike_exclusion_lowers_entropy() -> None:
    assert generate_password(exclude_lookalikes=True).entropy_bits < generate_password().entropy_bits


@pytest.mark.parametrize(
    "kwargs",
    [
        {"lower": False, "upper": False, "digits": False, "symbols": False},
        {"length": 3},
        {"length": 100_000},
        {"length": True},
    ],
)
def test_impossible_options(kwargs: dict[str, object]) -> None:
    with pytest.raises(InvalidGeneratorOptions):
        generate_password(**kwargs)  # type: ignore[arg-type]


def test_repr_hides_the_value() -> None:
    generated = generate_password()
    assert generated.value not in repr(generated)


def test_bundled_wordlist_is_the_eff_large_list() -> None:
    words = eff_wordlist()
    assert len(words) == 7776 == len(set(words))
    assert words[0] == "abacus" and words[-1] == "zoom"
    folder = resources.files("safehold.client.items.wordlists")
    assert hashlib.sha256(folder.joinpath("eff_large.txt").read_bytes()).hexdigest() == EFF_SHA256
    assert "CC BY 3.0" in folder.joinpath("README.md").read_text(encoding="utf-8")
    assert "Electronic Frontier Foundation" in folder.joinpath("LICENSE").read_text(encoding="utf-8")


def test_passphrase_words_come_from_the_list() -> None:
    words = set(eff_wordlist())
    generated = generate_passphrase(7, separator=" ")
    parts = generated.value.split(" ")
    assert len(parts) == 7 and set(parts) <= words
    assert generated.entropy_bits == pytest.approx(7 * math.log2(7776))


def test_passphrase_options() -> None:
    words = set(eff_wordlist())
    generated = generate_passphrase(5, separator=".", capitalize=True, add_number=True)
    parts = generated.value.split(".")
    assert len(parts) == 5
    assert all(p[0].isupper() for p in parts)
    assert sum(p[-1].isdigit() for p in parts) == 1
    assert {p.rstrip(string.digits).lower() for p in parts} <= words
    assert generated.entropy_bits == pytest.approx(5 * math.log2(7776) + math.log2(50))


def test_default_passphrase_is_six_dashed_words() -> None:
    generated = generate_passphrase()
    assert generated.entropy_bits == pytest.approx(6 * math.log2(7776))  # ~77.5 bits
    assert generated.value.count("-") >= 5


@pytest.mark.parametrize("words", [0, -1, 65, True])
def test_bad_word_counts(words: int) -> None:
    with pytest.raises(InvalidGeneratorOptions):
        generate_passphrase(words)
