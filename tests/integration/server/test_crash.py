"""A reset is one transaction: killing the server (SIGKILL) in the middle of it leaves the
account exactly as it was, and the same link then completes the reset."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from pathlib import Path

import httpx
import pytest
from tests.support.accounts import TestAccount, changes, create_items, reset_body, signin, signup, sync_all
from tests.support.server import run_server

from safehold import wire

API = wire.API_PREFIX


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "postgres":
        url = os.environ.get("SAFEHOLD_TEST_DATABASE_URL")
        if not url:
            pytest.skip("SAFEHOLD_TEST_DATABASE_URL is not set")
        return url
    return None


def test_kill_mid_reset_leaves_the_account_as_before(tmp_path: Path, database_url: str | None) -> None:
    pause = {"SAFEHOLD_TEST_RESET_PAUSE_SECONDS": "60", "SAFEHOLD_SECRET": "crash-test"}
    account = TestAccount.new()
    with run_server(tmp_path, database_url=database_url, extra_env=pause) as first:
        with first.client() as http:
            session = signup(http, account)
            ids = create_items(http, session, account, [{"t": "survives the crash"}, {"t": "me too"}])
            http.post(f"{API}/reset", json={"email": account.email})
        html = first.read_outbox()[-1].get_body(("html",)).get_content()  # type: ignore[union-attr]
        match = re.search(r"/reset/([A-Za-z0-9_-]+)\">here", html)
        assert match
        token = match.group(1)
        original_key, original_vault_key = account.account_key, account.vault_key
        body = reset_body(account)
        new_key, new_vault_key = account.account_key, account.vault_key

        def attempt() -> None:
            # The server dies under this request.
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(f"{first.base_url}{API}/reset/{token}", json=body, timeout=90)

        thread = threading.Thread(target=attempt)
        thread.start()
        deadline = time.monotonic() + 30
        while "pausing inside the reset transaction" not in first.log_text():
            assert time.monotonic() < deadline, "the reset never started"
            time.sleep(0.05)
        first.kill()
        thread.join(timeout=30)

        # Fully before: old session, old key, items, generation 1, link still usable.
        restart = {"SAFEHOLD_SECRET": "crash-test"}
        with (
            run_server(
                tmp_path,
                database_url=first.database_url,
                reuse_database=True,
                data_dir=first.data_dir,
                extra_env=restart,
            ) as second,
            second.client() as http,
        ):
            items, _ = sync_all(http, session)
            assert sorted(i["item_id"] for i in items) == sorted(ids)
            assert http.get(f"{API}/account", headers=session.headers()).json()["generation"] == 1
            account.account_key, account.vault_key, account.generation = original_key, original_vault_key, 1
            signin(http, account)
            assert http.get(f"{API}/reset/{token}").json()["next_generation"] == 2

            # Fully after: the same link completes it now.
            account.account_key, account.vault_key, account.generation = new_key, new_vault_key, 2
            assert http.post(f"{API}/reset/{token}", json=body).status_code == 200
            assert changes(http, session).status_code == 410
            fresh = signin(http, account)
            assert fresh.generation == 2 and sync_all(http, fresh)[0] == []
