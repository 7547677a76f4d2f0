"""What a sync tells about: conflict copies marked in the item (so every device lists them),
deletions undone by an edit elsewhere, items too large for the server; and the in-place
re-login that keeps a signed-out device's vault."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.unit.client._inproc import BASE_URL, inprocess_server
from tests.unit.client._reset import reset_account

from safehold.client.account import AccountService, Unlocked
from safehold.client.errors import ItemTooLarge, SessionRevoked
from safehold.client.settings import ClientSettings
from safehold.client.vault import MAX_ENVELOPE_CHARS
from safehold.crypto import AccountKey, KdfParams

EMAIL = "ann@example.com"
PW = "correct horse"
Make = Callable[[str], AccountService]


def _item(title: str, notes: str = "", **fields: str) -> dict[str, Any]:
    return {
        "v": 1, "type": "login", "title": title, "fields": fields, "custom": [], "tags": [],
        "favorite": False, "notes": notes, "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z", "history": [],
    }  # fmt: skip


def _devices(make: Make, n: int) -> tuple[list[Unlocked], AccountKey]:
    first, key = make("d0").signup(EMAIL, PW)
    return [first, *(make(f"d{i}").login(EMAIL, PW, key) for i in range(1, n))], key


def _titles(device: Unlocked) -> dict[str, dict[str, Any]]:
    return {it.title: it.data for it in device.vault.all()}


def test_conflict_copy_is_marked_and_listed_on_every_device(make_service: Make) -> None:
    (a, b, c), _ = _devices(make_service, 3)
    stored = a.vault.put(_item("Router", password="one"))
    a.sync(), b.sync(), c.sync()
    a.vault.put(_item("Router", password="from-a"), stored.item_id)
    b.vault.put(_item("Router", password="from-b"), stored.item_id)
    a.sync()
    report = b.sync()
    assert len(report.conflicts) == 1
    copy_id = report.conflicts[0].copy_id
    copy = b.vault.get(copy_id)
    assert copy is not None
    assert copy.data["conflict_of"] == stored.item_id
    assert copy.data["conflict_from"] == "d1"
    assert copy.data["conflict_at"].startswith("20")
    assert copy.data["fields"]["password"] == "from-b"
    a.sync(), c.sync()
    for device in (a, b, c):
        listed = device.store.conflicts()
        assert [(r.item_id, r.copy_id) for r in listed] == [(stored.item_id, copy_id)]
        assert listed[0].title == ""  # no title in clear in the vault file
    # Deleting the copy on any device resolves it everywhere.
    c.vault.delete(copy_id)
    c.sync(), a.sync(), b.sync()
    for device in (a, b, c):
        assert device.store.conflicts() == []


def test_conflict_copy_saved_without_its_mark_is_no_longer_listed(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("Mail", username="x"))
    a.sync(), b.sync()
    a.vault.put(_item("Mail", username="from-a"), stored.item_id)
    b.vault.put(_item("Mail", username="from-b"), stored.item_id)
    a.sync()
    copy_id = b.sync().conflicts[0].copy_id
    a.sync()
    assert len(a.store.conflicts()) == 1
    kept = a.vault.get(copy_id)
    assert kept is not None
    unmarked = {k: v for k, v in kept.data.items() if not k.startswith("conflict_")}
    a.vault.put(unmarked, copy_id)
    assert a.store.conflicts() == []
    a.sync(), b.sync()
    assert b.store.conflicts() == []


def test_deletion_undone_by_an_edit_elsewhere_is_reported(make_service: Make) -> None:
    (a, b), _ = _devices(make_service, 2)
    stored = a.vault.put(_item("Router", password="r1"))
    a.sync(), b.sync()
    a.vault.delete(stored.item_id)
    b.vault.put(_item("Router", password="r2"), stored.item_id)
    b.sync()
    report = a.sync()
    assert [(n.item_id, n.title) for n in report.restored] == [(stored.item_id, "Router")]
    assert _titles(a)["Router"]["fields"]["password"] == "r2"
    # A deletion both sides agree on restores nothing.
    a.vault.delete(stored.item_id)
    b.vault.delete(stored.item_id)
    a.sync()
    assert b.sync().restored == []


def test_an_item_too_large_for_the_server_is_refused_at_save_time(make_service: Make) -> None:
    (a,), _ = _devices(make_service, 1)
    with pytest.raises(ItemTooLarge, match="too large to sync") as caught:
        a.vault.put(_item("Huge", notes="x" * MAX_ENVELOPE_CHARS))
    assert caught.value.exit_code == 14
    assert a.store.outbox() == [] and a.vault.all() == []
    # The limit applies to the padded v2 write (spec §11.3): sizes above 64 KiB go in steps
    # of 64 KiB, so just under the limit is refused, and one step below it is fine.
    with pytest.raises(ItemTooLarge):
        a.vault.put(_item("Big", notes="x" * (MAX_ENVELOPE_CHARS * 3 // 4 - 2000)))
    a.vault.put(_item("Big", notes="x" * (MAX_ENVELOPE_CHARS * 3 // 4 - 65536 - 2000)))
    assert a.sync().pushed == 1


@pytest.fixture
def small_server(tmp_path: Path) -> Iterator[httpx.BaseTransport]:
    """A server whose envelope limit is lower than the client's."""
    (tmp_path / "small").mkdir()
    with inprocess_server(tmp_path / "small", max_envelope_bytes=4096) as transport:
        yield transport


def _service(tmp_path: Path, name: str, transport: httpx.BaseTransport) -> AccountService:
    settings = ClientSettings(
        home=tmp_path / name, server=BASE_URL, kdf_floor=KdfParams(1, 8, 1),
        test_only_insecure_signup_kdf=KdfParams(1, 8, 1), keystore="file",
        device_name=name, runtime_dir=tmp_path / "run",
    )  # fmt: skip
    return AccountService(settings, transport=transport)


def test_push_skips_an_item_the_server_refuses_and_sends_the_rest(
    tmp_path: Path, small_server: httpx.BaseTransport
) -> None:
    a, key = _service(tmp_path, "a", small_server).signup(EMAIL, PW)
    small = [a.vault.put(_item(f"small {i}")) for i in range(5)]
    big = a.vault.put(_item("big", notes="y" * 5000))  # under the client's limit, over this server's
    more = a.vault.put(_item("small 5"))
    report = a.sync()
    assert report.pushed == 6
    assert [(n.item_id, n.title) for n in report.rejected] == [(big.item_id, "big")]
    assert a.store.outbox() == [big.item_id]  # kept, not lost
    b = _service(tmp_path, "b", small_server).login(EMAIL, PW, key)
    b.sync()
    assert sorted(_titles(b)) == sorted([s.title for s in small] + [more.title])
    # Once the item is made smaller, the next sync sends it.
    a.vault.put(_item("big", notes="now small"), big.item_id)
    assert a.sync().rejected == []
    b.sync()
    assert _titles(b)["big"]["notes"] == "now small"


def test_login_after_revocation_keeps_the_vault_and_pushes_pending_edits(make_service: Make) -> None:
    (a, c), key = _devices(make_service, 2)
    shared = a.vault.put(_item("Shared"))
    a.sync(), c.sync()
    pending = c.vault.put(_item("Offline on C"))
    c.vault.put(_item("Shared", username="c"), shared.item_id)
    with a.api() as api:
        api.revoke_device(c.store.device_id)
    with pytest.raises(SessionRevoked):
        c.sync()
    vault_file = c.store.path
    c.close()
    again = make_service("d1").login(EMAIL, PW, key)
    assert again.store.path == vault_file
    assert sorted(again.store.outbox()) == sorted([pending.item_id, shared.item_id])
    assert again.sync().pushed == 2
    a.sync()
    assert _titles(a)["Offline on C"] is not None
    assert _titles(a)["Shared"]["fields"] == {"username": "c"}


def test_login_into_another_generation_starts_from_an_empty_vault(
    make_service: Make, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    (_a, c), _key = _devices(make_service, 2)
    c.vault.put(_item("Offline on C"))
    c.close()
    with httpx.Client(base_url=BASE_URL, transport=transport) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, PW)
    again = make_service("d1").login(EMAIL, PW, new_key)
    assert again.store.generation == 2
    assert again.store.outbox() == [] and again.vault.all() == []
