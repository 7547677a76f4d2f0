from __future__ import annotations

import json
import re

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from safehold.crypto import (
    EncodingError,
    TamperedData,
    VaultCipher,
    canonical_json,
    new_item_id,
    new_vault_key,
    open_keyset,
    seal,
    seal_keyset,
)

ACCOUNT = bytes(range(16))
SAFE = 2**53 - 1
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-SAFE, SAFE) | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=12,
)


def test_keyset_round_trip_and_binding() -> None:
    auk, vk = new_vault_key(), new_vault_key()
    keyset = seal_keyset(auk, vk, ACCOUNT, 1)
    assert open_keyset(auk, keyset, ACCOUNT, 1) == vk
    for args in [(auk, keyset, ACCOUNT, 2), (auk, keyset, bytes(16), 1), (vk, keyset, ACCOUNT, 1)]:
        with pytest.raises(TamperedData):
            open_keyset(*args)


def test_a_keyset_of_the_wrong_length_is_refused() -> None:
    auk = new_vault_key()
    from safehold.crypto import keyset_ad

    with pytest.raises(TamperedData):
        open_keyset(auk, seal(auk, b"short", keyset_ad(ACCOUNT, 1)), ACCOUNT, 1)


@given(json_values)
def test_items_round_trip(item: object) -> None:
    cipher = VaultCipher(bytes(32), ACCOUNT, 1)
    item_id = bytes(16)
    assert cipher.open_item(item_id, cipher.seal_item(item_id, item)) == item


def test_an_item_cannot_move_or_outlive_a_reset() -> None:
    vk = new_vault_key()
    item_id, other_id = new_item_id(), new_item_id()
    env = VaultCipher(vk, ACCOUNT, 1).seal_item(item_id, {"title": "x"})
    with pytest.raises(TamperedData):
        VaultCipher(vk, ACCOUNT, 1).open_item(other_id, env)
    with pytest.raises(TamperedData):
        VaultCipher(vk, ACCOUNT, 2).open_item(item_id, env)
    with pytest.raises(TamperedData):
        VaultCipher(vk, bytes(16), 1).open_item(item_id, env)


@given(json_values)
@example({": ": None, "a\nb": [" "]})  # white space inside strings, keys included
def test_canonical_json_is_one_form_of_one_value(value: object) -> None:
    text = canonical_json(value).decode("utf-8")
    assert json.loads(text) == value
    # Re-encoding what was read gives the same bytes: the form does not depend on dict order.
    assert canonical_json(json.loads(text)) == text.encode("utf-8")
    # No white space between tokens (strings may hold any, a ": " in a key included).
    assert not re.search(r"\s", re.sub(r'"(?:[^"\\]|\\.)*"', '""', text))


def test_canonical_json_sorts_keys_by_code_point_without_white_space() -> None:
    value = {"b": [1, True, None], "a": "é", "Z": {"y": -1, "x": ""}, "\U0001f511": 0, "\uffff": 0}
    assert canonical_json(value) == (
        '{"Z":{"x":"","y":-1},"a":"é","b":[1,true,null],"\uffff":0,"\U0001f511":0}'.encode()
    )


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (1.5, "fractional"),
        (1.0, "fractional"),  # Python writes 1.0, JavaScript 1
        (float("nan"), "NaN"),
        (float("inf"), "Infinity"),
        ({"nested": [{"deep": -float("inf")}]}, "Infinity"),
        (2**53, r"2\^53 - 1"),
        (-(2**53), r"2\^53 - 1"),
        # Too long even to print in decimal: the error must not try.
        pytest.param(10**5000, r"2\^53 - 1", id="10**5000"),
        ({1: "int key"}, "text keys"),
        ({"when": b"bytes"}, "bytes"),
        ({"set": {1, 2}}, "set"),
        ("lone \ud800 surrogate", "surrogate"),
        ({"\udfff": 1}, "surrogate"),
    ],
)
def test_canonical_json_refuses_what_javascript_would_write_differently(value: object, message: str) -> None:
    with pytest.raises(EncodingError, match=message):
        canonical_json(value)
    with pytest.raises(EncodingError):
        VaultCipher(bytes(32), ACCOUNT, 1).seal_item(bytes(16), {"x": value})


def test_canonical_json_errors_do_not_show_values() -> None:
    with pytest.raises(EncodingError) as info:
        canonical_json({"pin": 1234.5})
    assert "1234" not in str(info.value)


def test_canonical_json_accepts_the_safe_integer_bounds() -> None:
    assert canonical_json([SAFE, -SAFE, 0]) == b"[9007199254740991,-9007199254740991,0]"


def test_canonical_json_refuses_a_value_that_contains_itself() -> None:
    loop: dict[str, object] = {"a": 1}
    loop["self"] = [loop]
    with pytest.raises(EncodingError, match="contains itself"):
        canonical_json(loop)


def test_canonical_json_allows_the_same_value_twice() -> None:
    shared = {"k": [1, 2]}
    expected = b'{"a":{"k":[1,2]},"b":[{"k":[1,2]},{"k":[1,2]}]}'
    assert canonical_json({"a": shared, "b": [shared, shared]}) == expected


def test_canonical_json_deep_nesting_is_a_clear_error() -> None:
    value: object = []
    for _ in range(100_000):
        value = [value]
    with pytest.raises(EncodingError, match="nested too deeply"):
        canonical_json(value)
