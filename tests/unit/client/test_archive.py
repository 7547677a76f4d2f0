"""A reset claim never destroys data (issue 14 §1): the vault is archived, a false claim puts
it back, and after a real reset the archive restores every item and unsynced edit.

The lies come from a transport in front of the real (in-process) server that forges its
answers, as a malicious server or a man in the middle on plain http would.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.unit.client._inproc import BASE_URL
from tests.unit.client._reset import reset_account

from safehold.client.account import AccountService, Unlocked
from safehold.client.archive import ArchiveStore, Manifest
from safehold.client.archive_restore import open_archive, restore_into
from safehold.client.errors import AccountWasReset, ArchiveNotFound, AuthFailed
from safehold.client.settings import ClientSettings
from safehold.crypto import AccountKey, KdfParams

EMAIL = "ann@example.com"
PW = "correct horse"
CHEAP = KdfParams(t=1, m_kib=8, p=1)


def _item(title: str, **fields: str) -> dict[str, Any]:
    return {
        "v": 1, "type": "login", "title": title, "fields": fields, "custom": [], "tags": [],
        "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z", "history": [],
    }  # fmt: skip


class LyingTransport(httpx.BaseTransport):
    """The real server behind a liar: ``mode`` "410" answers every vault and account request
    with a forged 410 account_reset; "generation" rewrites the generation the server reports
    for the account (a forged generation mismatch). ``None`` passes everything through."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner
        self.mode: str | None = None
        self.pushed = 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path.endswith("/vault/push"):
            self.pushed += 1
        if self.mode == "410" and ("/vault/" in path or path.endswith("/account")):
            body = {"error": {"code": "account_reset", "message": "account reset",
                              "reset_at": "2026-01-02T03:04:05Z", "generation": 7}}  # fmt: skip
            return httpx.Response(410, json=body)
        response = self.inner.handle_request(request)
        if self.mode == "generation" and (path.endswith("/account") or path.endswith("/auth/finish")):
            response.read()
            data = json.loads(response.content)
            data["generation"] = int(data["generation"]) + 1
            return httpx.Response(response.status_code, json=data, headers={"x-forged": "1"})
        return response


@pytest.fixture
def liar(transport: httpx.BaseTransport) -> LyingTransport:
    return LyingTransport(transport)


Make = Callable[[str], AccountService]


@pytest.fixture
def make(tmp_path: Path, liar: LyingTransport) -> Make:
    def make(name: str) -> AccountService:
        settings = ClientSettings(
            home=tmp_path / name, server=BASE_URL, kdf_floor=CHEAP,
            test_only_insecure_signup_kdf=CHEAP, keystore="file",
            device_name=name, runtime_dir=tmp_path / "run",
        )  # fmt: skip
        return AccountService(settings, transport=liar)

    return make


def _two_devices(make: Make) -> tuple[Unlocked, Unlocked, AccountKey]:
    a, key = make("d0").signup(EMAIL, PW)
    b = make("d1").login(EMAIL, PW, key)
    return a, b, key


def _titles(device: Unlocked) -> dict[str, dict[str, Any]]:
    return {it.title: it.data for it in device.vault.all()}


def _assert_archived(service: AccountService, account_id: str, *, items: int, unsynced: int) -> Manifest:
    """The vault moved whole into one archive, with its key; nothing left behind."""
    assert not service.profile.vault_path(account_id).exists()
    assert service.keystore.load(account_id) is None
    assert service.profile.current is None
    (manifest,) = service.archives.all()
    assert manifest.account_id == account_id and manifest.email == EMAIL
    assert manifest.items == items and manifest.unsynced == unsynced
    assert manifest.has_account_key and service.archives.account_key(manifest) is not None
    home = service.archives.root / manifest.id
    assert (home / "vault.db").exists()
    assert oct(os.stat(home).st_mode & 0o777) == oct(0o700)
    assert oct(os.stat(home / "account.key").st_mode & 0o777) == oct(0o600)
    return manifest


def test_forged_410_archives_and_a_false_claim_puts_it_back(make: Make, liar: LyingTransport) -> None:
    a, b, _key = _two_devices(make)
    a.vault.put(_item("GitHub", password="pw1"))
    a.sync(), b.sync()
    b.vault.put(_item("Offline edit", password="unsynced"))
    liar.mode = "410"
    pushed = liar.pushed
    with pytest.raises(AccountWasReset) as caught:
        b.sync()
    assert liar.pushed == pushed  # nothing uploaded on the claim
    assert caught.value.archive is not None and "nothing was deleted" in caught.value.message
    service = make("d1")
    manifest = _assert_archived(service, b.account_id, items=2, unsynced=1)
    assert manifest.id == caught.value.archive and manifest.claimed_generation == 7
    # The claim was false: signing in again, with the password alone, puts the vault back.
    liar.mode = None
    found = service.stored_key(EMAIL)
    assert found is not None
    again = make("d1").login(EMAIL, PW, found[0])
    assert set(_titles(again)) == {"GitHub", "Offline edit"}
    assert again.store.outbox() != []
    assert make("d1").archives.all() == []
    again.sync()
    a.sync()
    assert _titles(a)["Offline edit"]["fields"]["password"] == "unsynced"


def test_forged_generation_at_unlock_archives(make: Make, liar: LyingTransport) -> None:
    a, _b, key = _two_devices(make)
    a.vault.put(_item("Unsynced", password="x"))
    account_id = a.account_id
    a.close()
    liar.mode = "generation"
    with pytest.raises(AccountWasReset) as caught:
        make("d0").unlock(PW)
    assert caught.value.archive is not None
    _assert_archived(make("d0"), account_id, items=1, unsynced=1)
    liar.mode = None
    back = make("d0").login(EMAIL, PW, key)
    assert set(_titles(back)) == {"Unsynced"} and back.store.outbox() != []


def test_real_reset_keeps_an_archive_on_every_device_and_restore_brings_all_back(
    make: Make, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    a, b, _key = _two_devices(make)
    shared = a.vault.put(_item("GitHub", username="ann", password="pw1"))
    a.vault.put(_item("Bank", password="pin"))
    a.sync(), b.sync()
    a.vault.put(_item("Unsynced on A", password="a"))
    b.vault.put(_item("GitHub", username="ann", password="pw2-offline"), shared.item_id)
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, "new password")
    for device, name, unsynced in ((a, "d0", 1), (b, "d1", 1)):
        with pytest.raises(AccountWasReset) as caught:
            device.sync()
        assert caught.value.generation == 2
        _assert_archived(make(name), device.account_id, items=3 if name == "d0" else 2, unsynced=unsynced)
    # Each device signs in to the new generation (nothing put back: another generation) ...
    fresh_a = make("d0").login(EMAIL, "new password", new_key)
    fresh_b = make("d1").login(EMAIL, "new password", new_key)
    assert _titles(fresh_a) == {} and fresh_a.store.generation == 2
    # ... and restores its archive with the OLD password: every item and unsynced edit.
    for fresh, name in ((fresh_a, "d0"), (fresh_b, "d1")):
        service = make(name)
        (manifest,) = service.archives.all()
        key = service.archives.account_key(manifest)
        assert key is not None
        with pytest.raises(AuthFailed):
            open_archive(service, manifest, "new password", key)
        source = open_archive(service, manifest, PW, key)
        try:
            report = restore_into(fresh, source, manifest)
        finally:
            source.close()
        service.archives.mark_restored(manifest, 2)
        fresh.sync()
    fresh_a.sync()
    titles = _titles(fresh_a)
    assert {"GitHub", "Bank", "Unsynced on A"} <= set(titles)
    # B's offline edit of GitHub conflicted with A's restored (older) copy: both kept.
    passwords = {t["fields"]["password"] for n, t in titles.items() if n.startswith("GitHub")}
    assert passwords == {"pw1", "pw2-offline"}
    assert report.unsynced == ["GitHub"]
    # Re-sealed under the new generation: the current keys open every item.
    for it in fresh_a.vault.all():
        assert fresh_a.vault.get(it.item_id) is not None
    assert all(m.restored_into == 2 for m in make("d0").archives.all())


def test_restore_is_idempotent_and_dry_run_changes_nothing(
    make: Make, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    a, _key = make("d0").signup(EMAIL, PW)
    a.vault.put(_item("One", password="1"))
    a.vault.put(_item("Two", password="2"))
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, "new password")
    with pytest.raises(AccountWasReset):
        a.sync()
    fresh = make("d0").login(EMAIL, "new password", new_key)
    service = make("d0")
    manifest = service.archives.get(None, fresh.account_id)
    key = service.archives.account_key(manifest)
    assert key is not None
    source = open_archive(service, manifest, PW, key)
    try:
        dry = restore_into(fresh, source, manifest, dry_run=True)
        assert sorted(dry.added) == ["One", "Two"] and _titles(fresh) == {}
        first = restore_into(fresh, source, manifest)
        second = restore_into(fresh, source, manifest)
    finally:
        source.close()
    assert sorted(first.added) == ["One", "Two"] and sorted(first.unsynced) == ["One", "Two"]
    assert second.added == [] and second.unchanged == 2
    assert set(_titles(fresh)) == {"One", "Two"}


def test_archives_expire_and_ids_resolve(make: Make, liar: LyingTransport) -> None:
    a, _b, _key = _two_devices(make)
    liar.mode = "410"
    with pytest.raises(AccountWasReset):
        a.sync()
    store = ArchiveStore(make("d0").profile)
    (manifest,) = store.all()
    assert store.get(manifest.id[:10]) == manifest
    with pytest.raises(ArchiveNotFound):
        store.get("nope")
    created = manifest.created_at
    assert store.expiring(30, now=created + timedelta(days=20)) == []
    assert store.expiring(30, now=created + timedelta(days=24)) == [manifest]
    assert store.purge_expired(30, now=created + timedelta(days=29)) == []
    assert store.purge_expired(30, now=created + timedelta(days=30, seconds=1)) == [manifest]
    assert store.all() == []


def test_an_archive_cut_short_by_a_crash_is_still_listed(make: Make, liar: LyingTransport) -> None:
    a, _b, _key = _two_devices(make)
    a.vault.put(_item("Kept", password="k"))
    liar.mode = "410"
    with pytest.raises(AccountWasReset):
        a.sync()
    store = ArchiveStore(make("d0").profile)
    (manifest,) = store.all()
    (store.root / manifest.id / "manifest.json").unlink()
    (found,) = store.all()
    assert found.id == manifest.id and found.items == 1 and found.unsynced == 1
    assert found.has_account_key and found.created_at <= datetime.now(UTC)


def test_reset_with_junk_keys_from_the_mailbox_loses_nothing(
    make: Make, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    """Someone with the mailbox alone completes a reset with keys of their own: every device
    archives; the user resets for real and restores, and every item and edit comes back."""
    a, b, _key = _two_devices(make)
    a.vault.put(_item("Shared", password="s"))
    a.sync(), b.sync()
    b.vault.put(_item("Only on B", password="b"))
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        reset_account(http, tmp_path / "outbox", EMAIL, "the attacker's password")  # key thrown away
    for device, name in ((a, "d0"), (b, "d1")):
        with pytest.raises(AccountWasReset):
            device.sync()
        assert len(make(name).archives.all()) == 1
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, PW)
    fresh = make("d1").login(EMAIL, PW, new_key)
    service = make("d1")
    manifest = service.archives.get(None, fresh.account_id)
    key = service.archives.account_key(manifest)
    assert key is not None and manifest.generation == 1 and fresh.store.generation == 3
    source = open_archive(service, manifest, PW, key)
    try:
        restore_into(fresh, source, manifest)
    finally:
        source.close()
    fresh.sync()
    assert set(_titles(fresh)) == {"Shared", "Only on B"}


def test_signing_in_to_a_new_generation_archives_a_vault_that_never_heard_of_the_reset(
    make: Make, transport: httpx.BaseTransport, tmp_path: Path
) -> None:
    a, _key = make("d0").signup(EMAIL, PW)
    a.vault.put(_item("Never synced", password="n"))
    a.close()
    with httpx.Client(transport=transport, base_url=BASE_URL) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, PW)
    fresh = make("d0").login(EMAIL, PW, new_key)
    assert fresh.store.generation == 2 and _titles(fresh) == {}
    (manifest,) = make("d0").archives.all()
    assert manifest.generation == 1 and manifest.unsynced == 1 and manifest.has_account_key
