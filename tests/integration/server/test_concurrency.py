"""20 writers updating the same items at once through two server processes sharing one
database: every acknowledged write is in the final state's history, none is lost, and
no revision or sequence number is handed out twice."""

from __future__ import annotations

import os
import random
import secrets
import threading
from collections import defaultdict
from pathlib import Path

import pytest
from tests.support.accounts import Session, TestAccount, create_items, push, signin, signup, sync_all
from tests.support.server import run_server

WRITERS = 20
ROUNDS = 6
ITEMS = 3


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str | None:
    if request.param == "postgres":
        url = os.environ.get("SAFEHOLD_TEST_DATABASE_URL")
        if not url:
            pytest.skip("SAFEHOLD_TEST_DATABASE_URL is not set")
        return url
    return None


def test_no_acknowledged_write_is_lost(tmp_path: Path, database_url: str | None) -> None:
    secret = {"SAFEHOLD_SECRET": secrets.token_hex(16)}
    with run_server(tmp_path, database_url=database_url, extra_env=secret) as first:
        shared = first.database_url
        with run_server(tmp_path, database_url=shared, reuse_database=True, extra_env=secret) as second:
            servers = [first, second]
            account = TestAccount.new()
            with first.client() as http:
                owner = signup(http, account)
                ids = create_items(http, owner, account, [{"n": 0} for _ in range(ITEMS)])
            sessions: list[tuple[int, Session]] = []
            for w in range(WRITERS):
                with servers[w % 2].client() as http:
                    sessions.append((w % 2, signin(http, account, device_name=f"writer {w}")))

            acked: dict[str, list[tuple[int, int, str]]] = defaultdict(list)
            lock = threading.Lock()
            errors: list[str] = []
            barrier = threading.Barrier(WRITERS)

            def writer(index: int) -> None:
                which, session = sessions[index]
                known = dict.fromkeys(ids, 1)
                rng = random.Random(index)
                with servers[which].client() as http:
                    barrier.wait()
                    for round_ in range(ROUNDS):
                        item = rng.choice(ids)
                        label = f"w{index}-r{round_}"
                        for _attempt in range(50):
                            body = [
                                {
                                    "item_id": item,
                                    "base_revision": known[item],
                                    "envelope": account.seal(item, {"by": label}),
                                }
                            ]
                            response = push(http, session, body)
                            if response.status_code != 200:
                                errors.append(f"{response.status_code} {response.text[:200]}")
                                return
                            result = response.json()["results"][0]
                            if result["status"] == "ok":
                                known[item] = result["revision"]
                                with lock:
                                    acked[item].append((result["revision"], result["seq"], label))
                                break
                            known[item] = result["current"]["revision"]

            threads = [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(timeout=120)
            assert not errors, errors[:3]

            with second.client() as http:
                final, _ = sync_all(http, owner)
            by_id = {c["item_id"]: c for c in final}
            all_seqs = [seq for writes in acked.values() for _, seq, _ in writes]
            assert len(all_seqs) == len(set(all_seqs)), "a sequence number was handed out twice"
            assert sum(len(w) for w in acked.values()) == WRITERS * ROUNDS
            for item in ids:
                writes = sorted(acked[item])
                revisions = [r for r, _, _ in writes]
                # Each acknowledged write got its own revision, consecutive from 2 (1 = creation).
                assert revisions == list(range(2, 2 + len(writes)))
                current = by_id[item]
                assert current["revision"] == (revisions[-1] if revisions else 1)
                if writes:
                    assert account.open(item, current["envelope"]) == {"by": writes[-1][2]}
                    # Sequence numbers follow revision order within an item.
                    seqs = [s for _, s, _ in writes]
                    assert seqs == sorted(seqs)
