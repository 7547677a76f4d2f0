"""A reset is one transaction. Killing the server (SIGKILL) inside it leaves the account
exactly as it was, and the same link then completes the reset; killing it right after the
commit, before the answer is sent, leaves the account fully reset.

The kill point is the server's test-only pause (``SAFEHOLD_TEST_RESET_PAUSE_SECONDS`` at
``SAFEHOLD_TEST_RESET_PAUSE_AT``), honoured only with ``SAFEHOLD_TEST_HOOKS_ENABLED``."""

from __future__ import annotations

import contextlib
import os
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.support.accounts import (
    Session,
    TestAccount,
    changes,
    create_items,
    reset_body,
    signin,
    signin_raw,
    signup,
    sync_all,
)
from tests.support.server import ServerHandle, run_server

from safehold import wire

API = wire.API_PREFIX
SECRET = {"SAFEHOLD_SECRET": "crash-test"}
#: reset_body() posts cheap keys: the server's minimum is lowered for them, explicitly.
CHEAP_MINIMUM = {"SAFEHOLD_MIN_KDF_PARAMS": '{"t": 1, "m_kib": 8, "p": 1}'}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str | None:
    if request.param == "postgres":
        url = os.environ.get("SAFEHOLD_TEST_DATABASE_URL")
        if not url:
            pytest.skip("SAFEHOLD_TEST_DATABASE_URL is not set")
        return url
    return None


def _reset_done_mails(server: ServerHandle) -> list[str]:
    return [m["To"] for m in server.read_outbox() if m["Subject"] == "Your Safehold account was reset"]


@dataclass
class Crashed:
    """What the test knew when the server died mid-reset."""

    account: TestAccount
    sessions: list[Session]
    item_ids: list[str]
    token: str
    body: dict[str, Any]
    old_keys: tuple[Any, Any]
    new_keys: tuple[Any, Any]
    first: ServerHandle


@contextlib.contextmanager
def crash_mid_reset(
    tmp_path: Path, database_url: str | None, pause_at: str, log_line: str
) -> Iterator[Crashed]:
    """Sign up, add items, sign in a second device, start a reset and SIGKILL the server
    while it pauses at ``pause_at``; then yield with a fresh server on the same data."""
    pause = {
        "SAFEHOLD_TEST_HOOKS_ENABLED": "1",
        "SAFEHOLD_TEST_RESET_PAUSE_SECONDS": "60",
        "SAFEHOLD_TEST_RESET_PAUSE_AT": pause_at,
        **SECRET,
        **CHEAP_MINIMUM,
    }
    account = TestAccount.new()
    with run_server(tmp_path, database_url=database_url, extra_env=pause) as first:
        with first.client() as http:
            laptop = signup(http, account)
            phone = signin(http, account)
            ids = create_items(http, laptop, account, [{"t": "survives the crash?"}, {"t": "me too?"}])
            http.post(f"{API}/reset", json={"email": account.email})
        assert "TEST HOOK ACTIVE" in first.log_text()
        html = first.read_outbox()[-1].get_body(("html",)).get_content()  # type: ignore[union-attr]
        match = re.search(r"/reset/([A-Za-z0-9_-]+)\">here", html)
        assert match
        token = match.group(1)
        old_keys = (account.account_key, account.vault_key)
        body = reset_body(account)
        new_keys = (account.account_key, account.vault_key)

        answers: list[int] = []

        def attempt() -> None:
            # The server dies under this request: no answer ever arrives.
            with contextlib.suppress(httpx.HTTPError):
                answers.append(
                    httpx.post(f"{first.base_url}{API}/reset/{token}", json=body, timeout=90).status_code
                )

        thread = threading.Thread(target=attempt)
        thread.start()
        deadline = time.monotonic() + 30
        while log_line not in first.log_text():
            assert time.monotonic() < deadline, "the reset never reached the pause"
            time.sleep(0.05)
        first.kill()
        thread.join(timeout=30)
        assert answers == [], "the client got an answer although the server was killed"

        with run_server(
            tmp_path,
            database_url=first.database_url,
            reuse_database=True,
            data_dir=first.data_dir,
            extra_env={**SECRET, **CHEAP_MINIMUM},
        ) as second:
            yield Crashed(account, [laptop, phone], ids, token, body, old_keys, new_keys, second)


def test_kill_mid_reset_leaves_the_account_as_before(tmp_path: Path, database_url: str | None) -> None:
    with (
        crash_mid_reset(
            tmp_path, database_url, "before_commit", "pausing inside the reset transaction"
        ) as crashed,
        crashed.first.client() as http,
    ):
        account, (laptop, _phone) = crashed.account, crashed.sessions
        assert _reset_done_mails(crashed.first) == []  # nothing happened, nothing owed
        # Fully before: old session, old key, items, generation 1, link still usable.
        items, _ = sync_all(http, laptop)
        assert sorted(i["item_id"] for i in items) == sorted(crashed.item_ids)
        assert http.get(f"{API}/account", headers=laptop.headers()).json()["generation"] == 1
        account.account_key, account.vault_key = crashed.old_keys
        account.generation = 1
        signin(http, account)
        assert http.get(f"{API}/reset/{crashed.token}").json()["next_generation"] == 2

        # Fully after: the same link completes it now.
        account.account_key, account.vault_key = crashed.new_keys
        account.generation = 2
        assert http.post(f"{API}/reset/{crashed.token}", json=crashed.body).status_code == 200
        assert changes(http, laptop).status_code == 410
        fresh = signin(http, account)
        assert fresh.generation == 2 and sync_all(http, fresh)[0] == []
        assert _reset_done_mails(crashed.first) == [account.email]


def test_kill_after_the_commit_leaves_the_account_fully_reset(
    tmp_path: Path, database_url: str | None
) -> None:
    with (
        crash_mid_reset(
            tmp_path, database_url, "after_commit", "pausing after the reset committed"
        ) as crashed,
        crashed.first.client() as http,
    ):
        account = crashed.account
        # The "your account was reset" mail was owed when the server died: the server
        # sent it when it started again.
        assert _reset_done_mails(crashed.first) == [account.email]
        # Every session from before the reset is told so, with the reset's date.
        for session in crashed.sessions:
            gone = changes(http, session)
            assert gone.status_code == 410, gone.text
            error = gone.json()["error"]
            assert error["code"] == "account_reset" and error["generation"] == 2 and error["reset_at"]
            assert http.get(f"{API}/account", headers=session.headers()).status_code == 410

        # The old key no longer signs in; the new one (which the page still holds) does.
        account.account_key, account.vault_key = crashed.old_keys
        account.generation = 1
        assert signin_raw(http, account).status_code == 401
        account.account_key, account.vault_key = crashed.new_keys
        account.generation = 2
        fresh = signin(http, account)
        assert fresh.generation == 2
        assert sync_all(http, fresh)[0] == []
        after = http.get(f"{API}/account", headers=fresh.headers()).json()
        assert after["generation"] == 2 and after["item_count"] == 0 and after["reset_at"]

        # The page never got its answer; its retry (the same keys) gets it now, without a
        # second wipe. Other keys on the same link are told the link was used.
        again = http.post(
            f"{API}/reset/{crashed.token}", json=crashed.body, headers={"Safehold-Generation": "1"}
        )
        assert again.status_code == 200, again.text
        assert again.json()["generation"] == 2 and again.json()["account_id"] == account.account_id
        other = http.post(f"{API}/reset/{crashed.token}", json=reset_body(TestAccount.new()))
        assert other.status_code == 410 and other.json()["error"]["code"] == "token_used"
        assert http.get(f"{API}/account", headers=fresh.headers()).json()["generation"] == 2
