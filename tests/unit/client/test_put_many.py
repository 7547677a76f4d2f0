"""``Vault.put_many``: many items in one transaction, as ``put`` would save them one by one
(sealed, queued for upload, conflict marks recorded or dropped, edits counted), and nothing
written when one of them cannot be saved."""

from __future__ import annotations

from pathlib import Path

import pytest

from safehold.client.errors import ItemTooLarge
from safehold.client.store import VaultStore
from safehold.client.vault import Vault
from safehold.crypto import VaultCipher, new_vault_key

ACCOUNT_ID = "0123456789abcdef0123456789abcdef"


def _vault(tmp_path: Path) -> Vault:
    meta = {"server": "http://127.0.0.1:1", "email": "ann@example.com", "account_id": ACCOUNT_ID,
            "generation": "1", "device_id": "00" * 16, "device_name": "test"}  # fmt: skip
    store = VaultStore.create(tmp_path / "vault.db", meta)
    return Vault(store, VaultCipher(new_vault_key(), bytes.fromhex(ACCOUNT_ID), 1))


def _item(title: str, **extra: object) -> dict[str, object]:
    return {"v": 1, "type": "login", "title": title, "created": "2024-01-01T00:00:00Z",
            "modified": "2024-01-01T00:00:00Z", **extra}  # fmt: skip


def test_new_and_updated_items_in_one_go(tmp_path: Path) -> None:
    vault = _vault(tmp_path)
    first = vault.put(_item("Old"))
    copy = _item("Old (conflict copy)", conflict_of=first.item_id, conflict_from="laptop",
                 conflict_at="2024-01-02T00:00:00Z")  # fmt: skip
    ids = vault.put_many([(None, _item("A")), (first.item_id, _item("Old, edited")), (None, copy)])
    assert ids[1] == first.item_id and len(set(ids)) == 3
    assert {vault.get(i).title for i in ids} == {"A", "Old, edited", "Old (conflict copy)"}  # type: ignore[union-attr]
    assert set(ids) <= set(vault.store.outbox())
    assert [c.copy_id for c in vault.store.conflicts()] == [ids[2]]
    assert vault.edits_since_backup == 4
    assert vault.put_many([]) == []


def test_one_item_too_large_writes_nothing(tmp_path: Path) -> None:
    vault = _vault(tmp_path)
    with pytest.raises(ItemTooLarge):
        vault.put_many([(None, _item("fine")), (None, _item("huge", notes="x" * 2_000_000))])
    assert vault.all() == []
    assert vault.store.outbox() == []
