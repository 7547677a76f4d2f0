"""The database-built JSON of ``/vault/changes`` (``services/changes_page.py``), on SQLite
and PostgreSQL: whatever the rows hold, a page is valid JSON with exactly the stored
values, byte-for-byte the model's output for what the server itself writes, and a row
the database cannot format takes the Python path instead of breaking the page."""

from __future__ import annotations

import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, event, text, update
from tests.support.accounts import TestAccount, signup

from safehold import wire
from safehold.server.db.models import Account, Item
from safehold.server.services import Services
from safehold.server.services.sessions import Principal

# Text a database can hold: no NUL (PostgreSQL refuses it) and no lone surrogates (not
# UTF-8).
storable = st.characters(exclude_categories=["Cs"], exclude_characters="\x00")
stored_text = st.text(storable, max_size=60)
stored_id = st.text(storable, max_size=32)  # the column's width


def _setup(api: TestClient) -> tuple[Services, Principal]:
    services: Services = api.app.state.services  # type: ignore[attr-defined]
    session = signup(api, TestAccount.new())
    return services, services.sessions.authenticate(session.token)


def _store(services: Services, principal: Principal, rows: list[tuple[str, str | None, datetime]]) -> None:
    with services.database.write() as db:
        db.execute(delete(Item).where(Item.account_id == principal.account_id))
        # The page reads no further than the account's last handed-out number.
        db.execute(update(Account).where(Account.account_id == principal.account_id).values(seq=len(rows)))
        for seq, (item_id, envelope, updated_at) in enumerate(rows, start=1):
            db.add(
                Item(
                    account_id=principal.account_id,
                    item_id=item_id,
                    revision=seq,
                    seq=seq,
                    envelope=envelope,
                    updated_at=updated_at,
                )
            )


def _page(services: Services, principal: Principal, limit: int) -> tuple[bytes, dict[str, Any]]:
    body = services.vault.changes(principal, 0, limit)
    return body, json.loads(body)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rows=st.lists(
        st.tuples(
            stored_id,
            st.none() | stored_text,
            st.datetimes(min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30)),
        ),
        max_size=6,
        unique_by=lambda row: row[0],
    ),
    limit=st.integers(min_value=1, max_value=8),
)
def test_any_stored_row_stays_inside_its_strings(
    api: TestClient, rows: list[tuple[str, str | None, datetime]], limit: int
) -> None:
    services, principal = _setup(api)  # an account of its own for each example
    aware = [(item_id, envelope, moment.replace(tzinfo=UTC)) for item_id, envelope, moment in rows]
    _store(services, principal, aware)
    _, page = _page(services, principal, limit)
    shown = aware[:limit]
    assert [
        (c["item_id"], c["seq"], c["revision"], c["deleted"], c["envelope"], c["updated_at"])
        for c in page["changes"]
    ] == [
        (item_id, seq, seq, envelope is None, envelope, _pydantic_time(moment))
        for seq, (item_id, envelope, moment) in enumerate(shown, start=1)
    ]
    assert page["has_more"] is (len(aware) > limit)
    assert page["cursor"] == len(shown)
    assert page["generation"] == principal.generation


def _pydantic_time(moment: datetime) -> str:
    dumped = wire.Change.model_construct(updated_at=moment).model_dump_json(include={"updated_at"})
    return str(json.loads(dumped)["updated_at"])


def test_what_the_server_writes_comes_back_exactly_as_the_model_would_write_it(api: TestClient) -> None:
    services, principal = _setup(api)
    start = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)
    rows: list[tuple[str, str | None, datetime]] = [
        (secrets.token_hex(16), "A" + secrets.token_urlsafe(900), start),  # no fraction
        (secrets.token_hex(16), None, start + timedelta(microseconds=1)),
        (secrets.token_hex(16), secrets.token_urlsafe(30), start + timedelta(seconds=1, microseconds=500000)),
    ]
    _store(services, principal, rows)
    for limit in (1, 2, 3, 1000):
        body, _ = _page(services, principal, limit)
        assert body == wire.ChangesResponse.model_validate_json(body).model_dump_json().encode()


def test_a_timestamp_in_another_shape_takes_the_python_path(api: TestClient) -> None:
    services, principal = _setup(api)
    item_id = secrets.token_hex(16)
    _store(services, principal, [(item_id, "e30", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC))])
    if services.database.is_sqlite:
        # Written by something other than this server: a three-digit fraction, which the
        # database's formatting would copy as it is.
        with services.database.write() as db:
            db.execute(
                text("UPDATE items SET updated_at = '2026-01-02 03:04:05.5' WHERE item_id = :i"),
                {"i": item_id},
            )
        expected_time = "2026-01-02T03:04:05.500000Z"
    else:
        expected_time = "2026-01-02T03:04:05Z"  # a timestamptz has no other shape
    body, page = _page(services, principal, 10)
    assert page["changes"] == [
        {
            "item_id": item_id,
            "seq": 1,
            "revision": 1,
            "deleted": False,
            "envelope": "e30",
            "updated_at": expected_time,
            "device": None,
            "device_seq": None,
        }
    ]
    assert body == wire.ChangesResponse.model_validate_json(body).model_dump_json().encode()


def test_the_python_path_gives_the_same_bytes(api: TestClient) -> None:
    # The path an SQLite without JSON functions takes (and a page with an odd row): the
    # same document, page by page, whatever the cursor and the page size.
    services, principal = _setup(api)
    start = datetime(2026, 3, 4, 5, 6, 7, tzinfo=UTC)
    rows: list[tuple[str, str | None, datetime]] = [
        (
            secrets.token_hex(16),
            None if i % 4 == 3 else secrets.token_urlsafe(40 + i),
            start + timedelta(microseconds=0 if i % 3 == 0 else 1000 * i + 7),
        )
        for i in range(9)
    ]
    _store(services, principal, rows)
    vault = services.vault
    for since in (0, 4, 9):
        for limit in (1, 2, 5, 1000):
            vault._writes_json = True
            fast = vault.changes(principal, since, limit)
            vault._writes_json = False
            slow = vault.changes(principal, since, limit)
            assert fast == slow
            assert len(json.loads(fast)["changes"]) == min(limit, 9 - since)
    vault._writes_json = None


def test_an_sqlite_without_json_functions_takes_the_python_path(api: TestClient) -> None:
    services, principal = _setup(api)
    _store(services, principal, [(secrets.token_hex(16), "e30", datetime(2026, 1, 2, tzinfo=UTC))])
    expected = services.vault.changes(principal, 0, 10)
    assert services.vault._writes_json is True
    if not services.database.is_sqlite:
        return  # PostgreSQL always has to_json: nothing to take away

    def broken(*_args: object) -> str:
        raise RuntimeError("no such function")

    def without_json(dbapi_connection: Any, _record: Any) -> None:
        # An application function shadows SQLite's own: the probe fails as on a build
        # without JSON functions.
        dbapi_connection.create_function("json_quote", 1, broken)

    engine = services.database.engine
    event.listen(engine, "connect", without_json)
    try:
        engine.dispose()
        services.vault._writes_json = None
        assert services.vault.changes(principal, 0, 10) == expected
        assert services.vault._writes_json is False
    finally:
        event.remove(engine, "connect", without_json)
        engine.dispose()
