"""Vault storage and delta sync: sequence numbers, revisions, conflicts, tombstones,
paging, the generation header and the limits; single-item GET/PUT. Every test runs on
SQLite and on PostgreSQL (``api`` / ``make_api``)."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime
from typing import Any

import httpx
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st
from pydantic import TypeAdapter
from tests.support.accounts import (
    Session,
    TestAccount,
    changes,
    create_items,
    push,
    signin,
    signup,
    sync_all,
)
from tests.support.inprocess import MakeApi

from safehold import wire
from safehold.server.services.changes_page import changes_json, json_timestamp

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
            "device": None,
            "device_seq": None,
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


def test_envelope_over_the_limit_is_413(make_api: MakeApi) -> None:
    with make_api(max_envelope_bytes=1000) as api:
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


def test_body_over_the_limit_is_413(make_api: MakeApi) -> None:
    with make_api(max_body_bytes=10_000) as api:
        response = api.post(f"{API}/accounts", content=b"{" + b" " * 20_000 + b"}")
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"


def test_item_quota_is_422(make_api: MakeApi) -> None:
    with make_api(max_items_per_account=3) as api:
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


# --- Single item: GET / PUT /vault/items/{item_id} ----------------------------------------


def put_item(
    http: httpx.Client,
    session: Session,
    item_id: str,
    base_revision: int,
    envelope: str | None,
    generation: int | None = None,
) -> httpx.Response:
    return http.put(
        f"{API}/vault/items/{item_id}",
        json={"base_revision": base_revision, "envelope": envelope},
        headers=session.headers(generation),
    )


def get_item(http: httpx.Client, session: Session, item_id: str, generation: int | None = None) -> Any:
    return http.get(f"{API}/vault/items/{item_id}", headers=session.headers(generation))


def test_put_creates_updates_and_get_reads_back(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    item = secrets.token_hex(16)
    created = put_item(api, session, item, 0, account.seal(item, {"v": 1}))
    assert created.status_code == 200
    first = wire.WriteResult.model_validate(created.json())
    assert (first.status, first.revision) == (wire.WriteStatus.OK, 1)
    updated = wire.WriteResult.model_validate(
        put_item(api, session, item, 1, account.seal(item, {"v": 2})).json()
    )
    assert updated.revision == 2 and updated.seq is not None and first.seq is not None
    assert updated.seq > first.seq
    current = get_item(api, session, item)
    assert current.status_code == 200
    change = wire.Change.model_validate(current.json())
    assert (change.revision, change.seq, change.deleted) == (2, updated.seq, False)
    assert change.envelope is not None and account.open(item, change.envelope) == {"v": 2}
    # Single-item writes and batch pushes share one sequence: delta sync sees them in order.
    items, cursor = sync_all(api, session)
    assert [c["item_id"] for c in items] == [item] and cursor == updated.seq


def test_put_on_a_stale_revision_is_409_with_current_and_changes_nothing(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    [item] = create_items(api, session, account, [{"title": "original"}])
    put_item(api, session, item, 1, account.seal(item, {"title": "theirs"}))
    _, cursor = sync_all(api, session)
    before = api.get(f"{API}/account", headers=session.headers()).json()["item_count"]
    stale = put_item(api, session, item, 1, account.seal(item, {"title": "mine"}))
    assert stale.status_code == 409
    body = wire.ConflictBody.model_validate(stale.json())
    assert body.error.code == wire.ErrorCode.CONFLICT
    assert "revision 2" in body.error.message
    assert body.error.current.revision == 2 and body.error.current.envelope is not None
    assert account.open(item, body.error.current.envelope) == {"title": "theirs"}
    # Nothing moved: no new sequence number, same item, same count.
    assert changes(api, session, cursor).json()["changes"] == []
    assert wire.Change.model_validate(get_item(api, session, item).json()) == body.error.current
    assert api.get(f"{API}/account", headers=session.headers()).json()["item_count"] == before
    recreate = put_item(api, session, item, 0, account.seal(item, {}))
    assert recreate.status_code == 409
    assert recreate.json()["error"]["current"]["revision"] == 2


def test_put_delete_leaves_a_tombstone_that_get_returns_and_put_revives(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    [item] = create_items(api, session, account, [{"title": "doomed"}])
    deleted = put_item(api, session, item, 1, None)
    assert deleted.status_code == 200 and deleted.json()["revision"] == 2
    tombstone = get_item(api, session, item)
    assert tombstone.status_code == 200
    assert tombstone.json() | {"updated_at": None} == {
        "item_id": item,
        "seq": deleted.json()["seq"],
        "revision": 2,
        "deleted": True,
        "envelope": None,
        "updated_at": None,
        "device": None,
        "device_seq": None,
    }
    assert api.get(f"{API}/account", headers=session.headers()).json()["item_count"] == 0
    again = put_item(api, session, item, 1, None)
    assert again.status_code == 409 and again.json()["error"]["current"]["deleted"] is True
    revived = put_item(api, session, item, 2, account.seal(item, {"title": "back"}))
    assert revived.status_code == 200 and revived.json()["revision"] == 3
    assert api.get(f"{API}/account", headers=session.headers()).json()["item_count"] == 1


def test_unknown_items_are_404(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    item = secrets.token_hex(16)
    missing = get_item(api, session, item)
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "not_found"
    assert put_item(api, session, item, 3, account.seal(item, {})).status_code == 404
    assert put_item(api, session, item, 0, None).status_code == 404
    assert sync_all(api, session) == ([], 0)
    # Another account's item is unknown too.
    [theirs] = create_items(api, signup(api, other := TestAccount.new()), other, [{"x": 1}])
    assert get_item(api, session, theirs).status_code == 404


def test_single_item_routes_check_the_generation(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    [item] = create_items(api, session, account, [{"x": 1}])
    for response in (
        get_item(api, session, item, generation=0),
        put_item(api, session, item, 1, account.seal(item, {"x": 2}), generation=0),
    ):
        assert response.status_code == 410
        assert response.json()["error"]["code"] == "account_reset"
        assert response.json()["error"]["generation"] == 1
    assert get_item(api, session, item).json()["revision"] == 1
    no_header = api.get(f"{API}/vault/items/{item}", headers={"Authorization": f"Bearer {session.token}"})
    assert no_header.status_code == 422 and no_header.json()["error"]["field"] == "Safehold-Generation"
    anonymous = api.get(f"{API}/vault/items/{item}", headers={wire.GENERATION_HEADER: "1"})
    assert anonymous.status_code == 401


def test_single_item_input_is_validated(make_api: MakeApi) -> None:
    with make_api(max_envelope_bytes=1000, max_items_per_account=1) as api:
        account = TestAccount.new()
        session = signup(api, account)
        item = secrets.token_hex(16)
        bad_id = get_item(api, session, "NOT-HEX")
        assert bad_id.status_code == 422 and bad_id.json()["error"]["field"] == "item_id"
        negative = put_item(api, session, item, -1, None)
        assert negative.status_code == 422 and negative.json()["error"]["field"] == "base_revision"
        too_big = put_item(api, session, item, 0, "A" * 1001)
        assert too_big.status_code == 413
        assert too_big.json()["error"] == {
            "code": "payload_too_large",
            "message": "an envelope may be at most 1000 bytes",
            "field": "envelope",
        }
        assert put_item(api, session, item, 0, account.seal(item, {})).status_code == 200
        other = secrets.token_hex(16)
        over = put_item(api, session, other, 0, account.seal(other, {}))
        assert over.status_code == 422 and over.json()["error"]["code"] == "quota_exceeded"
        assert get_item(api, session, other).status_code == 404


def test_single_item_routes_are_in_the_openapi_document(api: TestClient) -> None:
    paths = api.get("/openapi.json").json()["paths"]
    item_path = paths[f"{API}/vault/items/{{item_id}}"]
    assert {"200", "404", "410"} <= set(item_path["get"]["responses"])
    conflict = item_path["put"]["responses"]["409"]["content"]["application/json"]["schema"]
    assert conflict["$ref"].endswith("/ConflictBody")


# --- The hand-built JSON of /vault/changes ------------------------------------------------


@given(st.datetimes(min_value=datetime(1000, 1, 1), max_value=datetime(9999, 12, 31)))
def test_timestamps_are_written_as_pydantic_writes_them(value: datetime) -> None:
    aware = value.replace(tzinfo=UTC)
    expected = json.loads(TypeAdapter(datetime).dump_json(aware))
    # As SQLite stores it, as PostgreSQL's to_char gives it, and the general path.
    assert json_timestamp(value.strftime("%Y-%m-%d %H:%M:%S.%f")) == expected
    assert json_timestamp(value.strftime("%Y-%m-%dT%H:%M:%S.%f")) == expected
    assert json_timestamp(value.isoformat()) == expected
    assert json_timestamp(aware.isoformat()) == expected


@given(
    st.lists(
        st.tuples(
            st.text(max_size=40),
            st.integers(min_value=0, max_value=2**62),
            st.integers(min_value=0, max_value=2**31 - 1),
            st.none() | st.text(),
            st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1)),
        ),
        max_size=5,
    ),
    st.booleans(),
)
def test_changes_json_keeps_any_row_inside_its_strings(rows: list[Any], has_more: bool) -> None:
    # Whatever a row holds (the database is not trusted to hold only valid envelopes),
    # the document stays valid JSON with exactly these values.
    stored = [(i, s, r, e, u.strftime("%Y-%m-%d %H:%M:%S.%f"), False, None, None) for i, s, r, e, u in rows]
    document = json.loads(changes_json(3, stored, 7, has_more))  # type: ignore[arg-type]
    assert document["generation"] == 3 and document["cursor"] == 7 and document["has_more"] is has_more
    assert [
        (c["item_id"], c["seq"], c["revision"], c["envelope"], c["deleted"]) for c in document["changes"]
    ] == [(i, s, r, e, e is None) for i, s, r, e, _ in rows]
