"""Issue 14 §2 and §6 on the server: a reset keeps the old generation sealed (and the form
can say "delete the old data now instead"), archives are purged after their time, and a
reset can be scheduled, told to the account's devices and mailbox, cancelled or applied."""

from __future__ import annotations

import copy
import re
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from tests.support.accounts import (
    CHEAP,
    CHEAP_POLICY,
    TestAccount,
    changes,
    create_items,
    reset_body,
    signin,
    signin_raw,
    signup,
    sync_all,
)
from tests.support.inprocess import MakeApi, services_of
from tests.support.server import read_eml
from typer.testing import CliRunner

from safehold import wire
from safehold.crypto import b64decode, derive_keys, open_keyset
from safehold.server.cli import app
from safehold.server.db.models import ResetArchiveItem
from safehold.server.services.admin import AdminService

API = wire.API_PREFIX


def _mails(tmp_path: Path) -> list:  # type: ignore[type-arg]
    return [read_eml(p) for p in sorted((tmp_path / "outbox").glob("*.eml"))]


def _token(tmp_path: Path) -> str:
    mail = [m for m in _mails(tmp_path) if m["Subject"] == "Password reset for Safehold"][-1]
    match = re.search(r"/reset/([A-Za-z0-9_-]{20,})", mail.get_body(("plain",)).get_content())
    assert match
    return match.group(1)


def _reset(api: TestClient, tmp_path: Path, account: TestAccount, **extra: object) -> dict[str, object]:
    api.post(f"{API}/reset", json={"email": account.email})
    response = api.post(f"{API}/reset/{_token(tmp_path)}", json={**reset_body(account), **extra})
    assert response.status_code == 200, response.text
    answer: dict[str, object] = response.json()
    return answer


def test_a_reset_keeps_the_old_generation_sealed(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    ids = create_items(
        api, laptop, account, [{"title": "kept-one"}, {"title": "kept-two"}, {"title": "gone"}]
    )
    deleted = api.post(
        f"{API}/vault/push",
        json={"writes": [{"item_id": ids[2], "base_revision": 1, "envelope": None}]},
        headers=laptop.headers(),
    )
    assert deleted.status_code == 200
    old = copy.deepcopy(account)
    envelopes = {c["item_id"]: c["envelope"] for c in sync_all(api, laptop)[0] if c["envelope"]}

    _reset(api, tmp_path, account)
    fresh = signin(api, account)
    assert sync_all(api, fresh)[0] == []  # the live account holds nothing of the old generation
    listing = api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"]
    assert [(a["generation"], a["item_count"]) for a in listing] == [(1, 2)]
    archive = listing[0]
    created = datetime.fromisoformat(archive["created_at"])
    assert datetime.fromisoformat(archive["expires_at"]) - created == timedelta(days=30)

    keys = api.get(f"{API}/account/archives/{archive['archive_id']}", headers=fresh.headers()).json()
    assert keys["email"] == account.email and keys["archive"] == archive
    # Only the old password and the old account key open what was kept.
    derived = derive_keys(
        email=old.email, password=old.password, account_key_secret=old.account_key.secret,
        account_id=bytes.fromhex(old.account_id), kdf_salt=b64decode(keys["kdf_salt"]),
        params=CHEAP, policy=CHEAP_POLICY,
    )  # fmt: skip
    vk = open_keyset(derived.auk, b64decode(keys["keyset"]), bytes.fromhex(old.account_id), 1)
    assert vk == old.vault_key
    page = api.get(
        f"{API}/account/archives/{archive['archive_id']}/items", params={"limit": 1}, headers=fresh.headers()
    ).json()
    assert len(page["items"]) == 1 and page["has_more"] and page["cursor"] == page["items"][0]["item_id"]
    rest = api.get(
        f"{API}/account/archives/{archive['archive_id']}/items",
        params={"after": page["cursor"]},
        headers=fresh.headers(),
    ).json()
    items = page["items"] + rest["items"]
    assert not rest["has_more"] and {i["item_id"]: i["envelope"] for i in items} == {
        ids[0]: envelopes[ids[0]],
        ids[1]: envelopes[ids[1]],
    }
    assert sorted(old.open(i["item_id"], i["envelope"])["title"] for i in items) == ["kept-one", "kept-two"]

    # The owner can delete it; another account sees none of it.
    other = TestAccount.new()
    stranger = signup(api, other)
    assert api.get(f"{API}/account/archives", headers=stranger.headers()).json()["archives"] == []
    where = f"{API}/account/archives/{archive['archive_id']}"
    for path in ("", "/items"):
        assert api.get(f"{where}{path}", headers=stranger.headers()).status_code == 404
    assert api.delete(where, headers=stranger.headers()).status_code == 404
    assert api.delete(where, headers=fresh.headers()).status_code == 204
    assert api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"] == []


def test_delete_the_old_data_now_keeps_no_archive(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    create_items(api, laptop, account, [{"title": "gone at once"}])
    _reset(api, tmp_path, account, delete_old=True)
    fresh = signin(api, account)
    assert api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"] == []
    with services_of(api).database.read() as db:
        assert db.scalar(select(func.count()).select_from(ResetArchiveItem)) == 0


def test_archives_are_purged_after_their_time(make_api: MakeApi, tmp_path: Path) -> None:
    with make_api(reset_archive_days=2) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        create_items(api, laptop, account, [{"title": "purged later"}])
        _reset(api, tmp_path, account)
        fresh = signin(api, account)
        services = services_of(api)
        assert services.reset.maintain(datetime.now(UTC) + timedelta(days=1)) == (0, 0)
        assert len(api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"]) == 1
        assert services.reset.maintain(datetime.now(UTC) + timedelta(days=2, minutes=1)) == (0, 1)
        assert api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"] == []
        with services.database.read() as db:
            assert db.scalar(select(func.count()).select_from(ResetArchiveItem)) == 0


def test_accounts_show_lists_archives_by_date_only(api: TestClient, tmp_path: Path) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    create_items(api, laptop, account, [{"title": "never shown"}])
    _reset(api, tmp_path, account)
    summary = AdminService(services_of(api).database).show(account.email).to_json()
    [archive] = summary["archives"]
    assert archive["generation"] == 1 and archive["item_count"] == 1 and archive["created_at"]
    assert set(archive) == {"archive_id", "generation", "created_at", "expires_at", "item_count"}
    assert summary["pending_reset"] is None
    url = services_of(api).settings.effective_database_url
    shown = CliRunner().invoke(app, ["accounts", "show", account.email, "--database-url", url])
    assert shown.exit_code == 0, shown.output
    assert f"{archive['archive_id']}  generation 1  1 items  made " in shown.output
    assert "purged after" in shown.output and "never shown" not in shown.output


def test_a_scheduled_reset_is_told_and_can_be_cancelled(make_api: MakeApi, tmp_path: Path) -> None:
    with make_api(reset_delay_hours=24) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        create_items(api, laptop, account, [{"title": "still here"}])
        old = copy.deepcopy(account)
        answer = _reset(api, tmp_path, account)
        assert answer["generation"] == 2 and answer["scheduled_for"]
        # Nothing changed yet: the old session, password and key keep working.
        assert changes(api, laptop).status_code == 200
        view = api.get(f"{API}/account", headers=laptop.headers()).json()
        assert view["generation"] == 1 and view["pending_reset"]["requested_from"] == "testclient"
        assert view["pending_reset"]["effective_at"] == answer["scheduled_for"]
        mail = _mails(tmp_path)[-1]
        assert mail["Subject"] == "A reset of your Safehold account is scheduled"
        assert "testclient" in mail.get_body(("plain",)).get_content()
        assert "safehold reset --cancel" in mail.get_body(("plain",)).get_content()
        assert signin_raw(api, old).status_code == 200

        cancelled = api.delete(f"{API}/account/reset", headers=laptop.headers())
        assert cancelled.status_code == 200 and cancelled.json()["effective_at"] == answer["scheduled_for"]
        assert _mails(tmp_path)[-1]["Subject"] == "The reset of your Safehold account was cancelled"
        assert api.delete(f"{API}/account/reset", headers=laptop.headers()).status_code == 404
        assert api.get(f"{API}/account", headers=laptop.headers()).json()["pending_reset"] is None
        # Past the time: nothing happens, the new keys never took.
        assert services_of(api).reset.maintain(datetime.now(UTC) + timedelta(days=2)) == (0, 0)
        assert changes(api, laptop).status_code == 200
        assert signin_raw(api, account).status_code == 401


def test_a_password_change_by_the_owner_cancels_a_scheduled_reset_and_says_so(
    make_api: MakeApi, tmp_path: Path
) -> None:
    from tests.support.accounts import password_change_body

    with make_api(reset_delay_hours=24) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        create_items(api, laptop, account, [{"title": "kept"}])
        owner = copy.deepcopy(account)
        _reset(api, tmp_path, account)  # someone with the mailbox; ``account`` now holds their keys
        body = password_change_body(api, owner, "the owner's new password 7")
        changed = api.post(f"{API}/account/password", json=body, headers=laptop.headers())
        assert changed.status_code == 200, changed.text
        assert api.get(f"{API}/account", headers=laptop.headers()).json()["pending_reset"] is None
        mail = _mails(tmp_path)[-1]
        assert mail["Subject"] == "The reset of your Safehold account was cancelled"
        text = mail.get_body(("plain",)).get_content()
        assert "password was changed on a signed-in device" in text and "rotate-key" in text
        # Past its time nothing happens: the owner's new password works, the reset's never took.
        assert services_of(api).reset.maintain(datetime.now(UTC) + timedelta(days=2)) == (0, 0)
        assert changes(api, laptop).status_code == 200
        assert signin_raw(api, account).status_code == 401
        owner.password = "the owner's new password 7"
        assert signin_raw(api, owner).status_code == 200
        # With nothing scheduled, a password change sends no such mail.
        before = len(_mails(tmp_path))
        body = password_change_body(api, owner, "and another one 8")
        assert api.post(f"{API}/account/password", json=body, headers=laptop.headers()).status_code == 200
        assert len(_mails(tmp_path)) == before


def test_a_scheduled_reset_not_cancelled_is_applied_when_due(make_api: MakeApi, tmp_path: Path) -> None:
    with make_api(reset_delay_hours=24) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        create_items(api, laptop, account, [{"title": "archived then"}])
        first = _reset(api, tmp_path, account)
        services = services_of(api)
        assert services.reset.maintain(datetime.now(UTC) + timedelta(hours=23)) == (0, 0)
        assert services.reset.maintain(datetime.now(UTC) + timedelta(hours=25)) == (1, 0)
        assert changes(api, laptop).status_code == 410
        fresh = signin(api, account)
        assert fresh.generation == 2
        [archive] = api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"]
        assert archive["item_count"] == 1
        assert first["scheduled_for"]
        assert _mails(tmp_path)[-2]["Subject"] == "Your Safehold account was reset"


def test_a_due_reset_is_applied_at_the_next_account_request(make_api: MakeApi, tmp_path: Path) -> None:
    with make_api(reset_delay_hours=1e-9) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        body_account = copy.deepcopy(account)
        api.post(f"{API}/reset", json={"email": account.email})
        token = _token(tmp_path)
        body = reset_body(body_account)
        answer = api.post(f"{API}/reset/{token}", json=body)
        assert answer.status_code == 200 and answer.json()["scheduled_for"]
        gone = api.get(f"{API}/account", headers=laptop.headers())
        assert gone.status_code == 410 and gone.json()["error"]["generation"] == 2
        assert signin(api, body_account).generation == 2


def test_a_scheduled_form_sent_again_gets_the_same_answer(make_api: MakeApi, tmp_path: Path) -> None:
    with make_api(reset_delay_hours=5) as api:
        account = TestAccount.new()
        signup(api, account)
        api.post(f"{API}/reset", json={"email": account.email})
        token = _token(tmp_path)
        body = reset_body(account)
        first = api.post(f"{API}/reset/{token}", json=body)
        again = api.post(f"{API}/reset/{token}", json=body)
        assert first.status_code == again.status_code == 200 and first.json() == again.json()
        other = api.post(f"{API}/reset/{token}", json=reset_body(copy.deepcopy(account)))
        assert other.status_code == 410 and other.json()["error"]["code"] == "token_used"


def test_the_servers_own_tick_purges_and_applies(make_api: MakeApi, tmp_path: Path) -> None:
    """No test clock here: the app's maintenance task, started with the app, does both."""
    # About 0.9 s of keeping and 0.4 s of delay; the tick runs every 0.1 s.
    with make_api(reset_archive_days=1e-5, reset_delay_hours=1e-4, maintenance_interval_seconds=0.1) as api:
        account = TestAccount.new()
        laptop = signup(api, account)
        create_items(api, laptop, account, [{"title": "kept briefly"}])
        assert _reset(api, tmp_path, account)["scheduled_for"]
        database = services_of(api).database
        deadline = time.monotonic() + 30
        while changes(api, laptop).status_code != 410:  # applied by the tick, not by a request
            assert time.monotonic() < deadline, "the due reset was never applied"
            time.sleep(0.1)
        fresh = signin(api, account)
        while api.get(f"{API}/account/archives", headers=fresh.headers()).json()["archives"]:
            assert time.monotonic() < deadline, "the expired archive was never purged"
            time.sleep(0.1)
        with database.read() as db:
            assert db.scalar(select(func.count()).select_from(ResetArchiveItem)) == 0
