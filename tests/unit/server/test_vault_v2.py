"""Protocol v2 writes on the server (spec/protocol.md §11, api.md "Vault"): the server
stores each write's device and sequence number and sealed tombstones beside the envelope,
checks only what it can (shape), never answers 500, and migrates a v1 database (0003)."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text
from tests.support.accounts import TestAccount, push, signin, signup, signup_body, sync_all
from tests.support.inprocess import app_client

from safehold import wire
from safehold.crypto import WriteCipher, WriteClaims, b64encode
from safehold.server.db.migrate import current_revision, head_revision, upgrade

API = wire.API_PREFIX


def _v2(account: TestAccount, claims: WriteClaims, value: dict[str, Any] | None, prev: str | None) -> str:
    cipher = WriteCipher(account.vault_key, bytes.fromhex(account.account_id), account.generation)
    return b64encode(cipher.seal(claims, value, prev))


def _write(claims: WriteClaims, envelope: str, base: int) -> dict[str, Any]:
    return {
        "item_id": claims.item_id,
        "base_revision": base,
        "envelope": envelope,
        "deleted": claims.deleted,
        "device": claims.device,
        "device_seq": claims.seq,
    }


def test_v2_writes_and_sealed_tombstones_are_stored_with_their_claims(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    device = secrets.token_hex(16)
    item = secrets.token_hex(16)
    first = WriteClaims(item, 1, device, 1, False)
    tomb = WriteClaims(item, 2, device, 2, True)
    envelope = _v2(account, first, {"title": "x"}, None)
    answer = push(api, session, [_write(first, envelope, 0)])
    assert answer.status_code == 200 and answer.json()["results"][0]["status"] == "ok"
    assert api.get(f"{API}/account", headers=session.headers()).json()["item_count"] == 1
    sealed_tomb = _v2(account, tomb, None, f"{item}.1")
    answer = push(api, session, [_write(tomb, sealed_tomb, 1)])
    assert answer.json()["results"][0]["revision"] == 2
    # A sealed tombstone is a deletion: it no longer counts against the quota.
    assert api.get(f"{API}/account", headers=session.headers()).json()["item_count"] == 0
    delta, _ = sync_all(api, session)
    assert [(c["revision"], c["deleted"], c["envelope"], c["device"], c["device_seq"]) for c in delta] == [
        (2, True, sealed_tomb, device, 2)
    ]
    got = api.get(f"{API}/vault/items/{item}", headers=session.headers()).json()
    assert (got["deleted"], got["envelope"], got["device_seq"]) == (True, sealed_tomb, 2)
    # A conflict answer carries the claims too, so the client can open "current".
    stale = push(api, session, [_write(WriteClaims(item, 2, device, 3, False), envelope, 1)])
    current = stale.json()["results"][0]["current"]
    assert (current["device"], current["device_seq"], current["deleted"]) == (device, 2, True)


def test_malformed_v2_writes_are_refused_with_422_never_500(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    item, device = secrets.token_hex(16), secrets.token_hex(16)
    bad = [
        {"item_id": item, "base_revision": 0, "envelope": "e30", "device": device},  # no seq
        {"item_id": item, "base_revision": 0, "envelope": "e30", "device_seq": 1},  # no device
        {"item_id": item, "base_revision": 0, "envelope": None, "device": device, "device_seq": 1},
        {"item_id": item, "base_revision": 0, "envelope": "e30", "deleted": True},  # v1 with envelope
        {"item_id": item, "base_revision": 0, "envelope": "e30", "device": device, "device_seq": 0},
        {"item_id": item, "base_revision": 0, "envelope": "e30", "device": "XY", "device_seq": 1},
        {"item_id": item, "base_revision": 0, "envelope": "e30", "device": device, "device_seq": "1"},
    ]
    for write in bad:
        answer = push(api, session, [write])
        assert answer.status_code == 422, (write, answer.text)
        put = api.put(f"{API}/vault/items/{item}", json={k: v for k, v in write.items() if k != "item_id"},
                      headers=session.headers())  # fmt: skip
        assert put.status_code == 422, (write, put.text)


def test_a_tombstone_for_an_item_never_written_is_a_conflict(api: TestClient) -> None:
    account = TestAccount.new()
    session = signup(api, account)
    claims = WriteClaims(secrets.token_hex(16), 1, secrets.token_hex(16), 1, True)
    answer = push(api, session, [_write(claims, _v2(account, claims, None, None), 0)])
    assert answer.status_code == 200
    assert answer.json()["results"][0] == {
        "item_id": claims.item_id, "status": "conflict", "revision": None, "seq": None, "current": None
    }  # fmt: skip
    put = api.put(f"{API}/vault/items/{claims.item_id}", json={
        "base_revision": 0, "envelope": _v2(account, claims, None, None), "deleted": True,
        "device": claims.device, "device_seq": 1}, headers=session.headers())  # fmt: skip
    assert put.status_code == 404


def test_a_v1_database_migrates_and_keeps_serving_its_items(tmp_path: Path) -> None:
    """A database at 0002 (the schema before the vault log) with v1 rows written the way
    the v1 server writes them: after 0003, the v1 records read back as they were, v1
    tombstones stay deleted, and v2 writes go on top of them."""
    url = f"sqlite:///{tmp_path / 'safehold.db'}"
    upgrade(url, "0002")
    account = TestAccount.new()
    body = signup_body(account)
    live, gone = secrets.token_hex(16), secrets.token_hex(16)
    live_env = account.seal(live, {"title": "from v1"})
    now = datetime(2026, 11, 1, 12, 0, 0, tzinfo=UTC).strftime("%Y-%m-%d %H:%M:%S.%f")
    engine = create_engine(url)
    with engine.begin() as db:
        db.execute(
            text(
                "INSERT INTO accounts(account_id, email, created_at, kdf_salt, kdf_t, kdf_m_kib, kdf_p, "
                "verifier, keyset, hint, generation, seq, item_count, plan, reset_mail_due) VALUES "
                "(:a, :e, :now, :s, 1, 8, 1, :v, :k, NULL, 1, 3, 1, 'free', 0)"
            ),
            {
                "a": account.account_id,
                "e": account.email,
                "now": now,
                "s": body["kdf_salt"],
                "v": body["verifier"],
                "k": body["keyset"],
            },
        )
        rows = [(live, 1, 1, live_env), (gone, 2, 3, None)]
        for item_id, revision, seq, envelope in rows:
            db.execute(
                text(
                    "INSERT INTO items(account_id, item_id, revision, seq, envelope, updated_at) "
                    "VALUES (:a, :i, :r, :s, :e, :now)"
                ),
                {"a": account.account_id, "i": item_id, "r": revision, "s": seq, "e": envelope, "now": now},
            )
    engine.dispose()
    with app_client(tmp_path, database_url=url) as api:
        assert current_revision(url) == head_revision()
        session = signin(api, account)
        delta, cursor = sync_all(api, session)
        by_id = {c["item_id"]: c for c in delta}
        assert cursor == 3
        assert (by_id[gone]["deleted"], by_id[gone]["envelope"], by_id[gone]["device"]) == (True, None, None)
        assert by_id[live]["device"] is None and account.open(live, by_id[live]["envelope"]) == {
            "title": "from v1"
        }
        # The first v2 sync re-writes the v1 item as a v2 write on its revision.
        claims = WriteClaims(live, 2, session.device_id, 1, False)
        answer = push(api, session, [_write(claims, _v2(account, claims, {"title": "from v1"}, None), 1)])
        assert answer.json()["results"][0]["status"] == "ok"
        delta, _ = sync_all(api, session, cursor)
        assert [(c["item_id"], c["revision"], c["device_seq"]) for c in delta] == [(live, 2, 1)]
        assert api.get(f"{API}/account", headers=session.headers()).json()["item_count"] == 1
