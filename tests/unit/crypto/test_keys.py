from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from safehold.crypto import (
    TamperedData,
    VaultCipher,
    new_item_id,
    new_vault_key,
    open_keyset,
    seal,
    seal_keyset,
)

ACCOUNT = bytes(range(16))
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(),
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
