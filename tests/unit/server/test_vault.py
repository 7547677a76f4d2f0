"""Vault storage and delta sync: sequence numbers, revisions, conflicts, tombstones,
paging, the generation header and the limits."""

from __future__ import annotations

import secrets
from pathlib import Path

from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, changes, create_items, push, signin, signup, sync_all
from tests.support.inprocess import app_client

from safehold import wire

API = wire.API_PREFIX


def test_writes_get_increasing_seq_and_revisions(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    item = secrets.token_hex(16)
    first = push(
        api, session, [{"item_id": item, "base_revision": 0, "envelope": account.seal(item, {"v": 1})}]
    )
    second = push(
        api, session, [{"item_id": item, "base_revision": 1, "envelope": account.seal(item, {"v": 2})}]
    )
    a, b = first.json()["results"][0], second.json()["results"][0]
    assert (a["status"], a["revision"]) == ("ok", 1)
    assert (b["status"], b["revision"]) == ("ok", 2)
    assert b["seq"] > a["seq"]
    items, cursor = sync_all(api, session)
    assert len(items) == 1 and cursor == b["seq"]
    assert account.open(item, items[0]["envelope"]) == {"v": 2}


def test_stale_base_revision_is_a_conflict_and_changes_nothing(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    [item] = create_items(api, session, account, [{"title": "original"}])
    push(
        api,
        session,
        [{"item_id": item, "base_revision": 1, "envelope": account.seal(item, {"title": "mine"})}],
    )
    stale = push(
        api, session, [{"item_id": item, "base_revision": 1, "envelope": account.seal(item, {"t": "x"})}]
    )
    result = stale.json()["results"][0]
    assert result["status"] == "conflict"
    assert result["current"]["revision"] == 2
    assert account.open(item, result["current"]["envelope"]) == {"title": "mine"}
    recreate = push(api, session, [{"item_id": item, "base_revision": 0, "envelope": account.seal(item, {})}])
    assert recreate.json()["results"][0]["status"] == "conflict"


def test_each_write_in_a_push_stands_alone(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    [existing] = create_items(api, session, account, [{"a": 1}])
    fresh = secrets.token_hex(16)
    response = push(
        api,
        session,
        [
            {"item_id": existing, "base_revision": 7, "envelope": account.seal(existing, {})},
            {"item_id": fresh, "base_revision": 0, "envelope": account.seal(fresh, {"b": 2})},
        ],
    )
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["conflict", "ok"]


def test_delete_leaves_a_tombstone_that_can_be_overwritten(api: TestClient) -> None:
    account = TestAccount.new()
    laptop = signup(api, account)
    phone = signin(api, account)
    [item] = create_items(api, laptop, account, [{"title": "doomed"}])
    _, cursor = sync_all(api, phone)
    deleted = push(api, laptop, [{"item_id": item, "base_revision": 1, "envelope": None}]).json()["results"][
        0
    ]
    assert deleted["status"] == "ok" and deleted["revision"] == 2
    delta, cursor = sync_all(api, phone, cursor)
    assert delta == [
        {
            "item_id": item,
            "seq": deleted["seq"],
            "revision": 2,
            "deleted": True,
            "envelope": None,
            "updated_at": delta[0]["updated_at"],
        }
    ]
    assert api.get(f"{API}/account", headers=laptop.headers()).json()["item_count"] == 0
    revived = push(
        api, phone, [{"item_id": item, "base_revision": 2, "envelope": account.seal(item, {"t": 1})}]
    )
    assert revived.json()["results"][0]["revision"] == 3
    assert api.get(f"{API}/account", headers=laptop.headers()).json()["item_count"] == 1


def test_changes_page_through_in_seq_order(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    ids = create_items(api, session, account, [{"n": i} for i in range(7)])
    seen: list[str] = []
    cursor = 0
    pages = 0
    while True:
        data = changes(api, session, cursor, limit=3).json()
        seen += [c["item_id"] for c in data["changes"]]
        seqs = [c["seq"] for c in data["changes"]]
        assert seqs == sorted(seqs) and all(s > cursor for s in seqs)
        cursor = data["cursor"]
        pages += 1
        if not data["has_more"]:
            break
    assert seen == ids and pages == 3


def test_changes_json_is_exactly_what_the_model_gives(api: TestClient) -> None:
    # The server writes this JSON by hand for speed; it must stay what the declared
    # response model would have produced, tombstones and all.
    account = TestAccount.new()
    session = signup(api, account)
    live, doomed = create_items(api, session, account, [{"a": 1}, {"b": 2}])
    push(api, session, [{"item_id": doomed, "base_revision": 1, "envelope": None}])
    for limit in (1, 1000):
        response = changes(api, session, 0, limit=limit)
        assert response.headers["content-type"] == "application/json"
        parsed = wire.ChangesResponse.model_validate_json(response.content)
        assert response.content == parsed.model_dump_json().encode()
    assert [(c.item_id, c.deleted, c.envelope is None) for c in parsed.changes] == [
        (live, False, False),
        (doomed, True, True),
    ]
    assert parsed.cursor == 3 and not parsed.has_more


def test_empty_sync_returns_the_current_cursor(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    empty = changes(api, session, 0).json()
    assert empty == {"generation": 1, "changes": [], "cursor": 0, "has_more": False}
    create_items(api, session, account, [{"x": 1}, {"x": 2}])
    _, cursor = sync_all(api, session)
    again = changes(api, session, cursor).json()
    assert again["changes"] == [] and again["cursor"] == cursor and not again["has_more"]


def test_accounts_do_not_see_each_others_items(api: TestClient) -> None:
    alice, bob = TestAccount.new(), TestAccount.new()
    a, b = signup(api, alice), signup(api, bob)
    create_items(api, a, alice, [{"x": 1}])
    assert sync_all(api, b)[0] == []


def test_generation_header_is_required_and_checked(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    missing = api.get(f"{API}/vault/changes", headers={"Authorization": f"Bearer {session.token}"})
    assert missing.status_code == 422
    assert missing.json()["error"]["field"] == "Safehold-Generation"
    stale = changes(api, session, generation=0)
    assert stale.status_code == 410 and stale.json()["error"]["code"] == "account_reset"
    assert stale.json()["error"]["generation"] == 1
    ahead = changes(api, session, generation=2)
    assert ahead.status_code == 422


def test_envelope_over_the_limit_is_413(tmp_path: Path) -> None:
    with app_client(tmp_path, max_envelope_bytes=1000) as api:
        account = TestAccount.new()
        session = signup(api, account)
        item = secrets.token_hex(16)
        response = push(api, session, [{"item_id": item, "base_revision": 0, "envelope": "A" * 1001}])
        assert response.status_code == 413
        assert response.json()["error"] == {
            "code": "payload_too_large",
            "message": "an envelope may be at most 1000 bytes",
            "field": "writes.0.envelope",
        }


def test_envelope_beyond_the_wire_maximum_is_413_too(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    item = secrets.token_hex(16)
    response = push(api, session, [{"item_id": item, "base_revision": 0, "envelope": "A" * 1_500_001}])
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def test_body_over_the_limit_is_413(tmp_path: Path) -> None:
    with app_client(tmp_path, max_body_bytes=10_000) as api:
        response = api.post(f"{API}/accounts", content=b"{" + b" " * 20_000 + b"}")
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"


def test_item_quota_is_422(tmp_path: Path) -> None:
    with app_client(tmp_path, max_items_per_account=3) as api:
        account = TestAccount.new()
        session = signup(api, account)
        create_items(api, session, account, [{"n": i} for i in range(3)])
        item = secrets.token_hex(16)
        over = push(api, session, [{"item_id": item, "base_revision": 0, "envelope": account.seal(item, {})}])
        assert over.status_code == 422
        assert over.json()["error"]["code"] == "quota_exceeded"
        assert len(sync_all(api, session)[0]) == 3


def test_validation_errors_name_the_field(api: TestClient) -> None:
    session = signup(api, TestAccount.new())
    response = push(api, session, [{"item_id": "nothex", "base_revision": 0, "envelope": None}])
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "invalid_request" and error["field"] == "writes.0.item_id"
    too_many = push(api, session, [{"item_id": "0" * 32, "base_revision": 0}] * 501)
    assert too_many.status_code == 422 and too_many.json()["error"]["field"] == "writes"


def test_malformed_json_is_400(api: TestClient) -> None:
    response = api.post(f"{API}/accounts", content=b"{not json", headers={"content-type": "application/json"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_request"
