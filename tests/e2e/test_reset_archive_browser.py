"""The reset page's "Delete the old data now instead" (issue 14 §2) and a delayed reset's
answer (§6), in Debian's Chromium against the real server: unticked (the default), the
server keeps the old generation sealed and the old keys open it; ticked, it keeps nothing;
with a delay, the page says when the reset takes effect and nothing changes until then."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from tests.e2e._browser import Inbox, PageLog, link_named_here, only_server_hosts, screenshot
from tests.e2e.test_reset_browser import (
    NEW_PASSWORD,
    OLD_PASSWORD,
    SUBJECT,
    TEST_POLICY,
    Account,
    push_item,
    request_reset_in_browser,
    sign_in,
    signup,
)
from tests.support.server import ServerHandle

from safehold import wire
from safehold.crypto import AccountKey, KdfParams, VaultCipher, b64decode, derive_keys, open_keyset

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def _complete(pg: Any, server: ServerHandle, inbox: Inbox, alice: Account, *, delete_old: bool) -> AccountKey:
    before = inbox.count()
    request_reset_in_browser(pg, server, alice.email)
    pg.goto(link_named_here(inbox.wait_for(alice.email, SUBJECT, after=before)))
    choice = pg.get_by_label("Delete the old data now instead")
    assert choice.is_visible() and not choice.is_checked(), "the option is offered, unticked"
    assert "sealed for 30" in pg.get_by_test_id("archive-note").inner_text()
    pg.get_by_label("New account password").fill(NEW_PASSWORD)
    pg.get_by_label("Confirm password").fill(NEW_PASSWORD)
    pg.get_by_label("I understand that all data in this account will be deleted").check()
    if delete_old:
        choice.check()
    screenshot(pg, f"reset-form-delete-old-{delete_old}")
    pg.get_by_role("button", name="Reset account").click()
    key = pg.get_by_test_id("account-key")
    key.wait_for(state="visible", timeout=120_000)
    return AccountKey.parse(key.inner_text().strip())


def _archives(server: ServerHandle, finish: dict[str, Any]) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {finish['session']['token']}"}
    response = httpx.get(f"{server.base_url}/api/v1/account/archives", headers=headers)
    assert response.status_code == 200, response.text
    archives: list[dict[str, Any]] = response.json()["archives"]
    return archives


def test_unticked_the_server_keeps_the_old_generation_sealed(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server()
    alice = signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    push_item(server.base_url, alice)
    pg, log = page
    new_key = _complete(pg, server, inbox, alice, delete_old=False)
    finish = sign_in(server.base_url, alice.email, NEW_PASSWORD, new_key)
    assert isinstance(finish, dict)
    [archive] = _archives(server, finish)
    assert archive["generation"] == 1 and archive["item_count"] == 1
    headers = {"Authorization": f"Bearer {finish['session']['token']}"}
    where = f"{server.base_url}/api/v1/account/archives/{archive['archive_id']}"
    keys = httpx.get(where, headers=headers).json()
    [item] = httpx.get(f"{where}/items", headers=headers).json()["items"]
    # Only the OLD password and OLD key open what was kept.
    old = derive_keys(
        email=alice.email, password=OLD_PASSWORD, account_key_secret=alice.key.secret,
        account_id=alice.account_id, kdf_salt=b64decode(keys["kdf_salt"]),
        params=KdfParams(**keys["kdf_params"]), policy=TEST_POLICY,
    )  # fmt: skip
    vk = open_keyset(old.auk, b64decode(keys["keyset"]), alice.account_id, 1)
    opened = VaultCipher(vk, alice.account_id, 1).open_item(
        bytes.fromhex(item["item_id"]), b64decode(item["envelope"])
    )
    assert opened == {"title": "bank"}
    only_server_hosts(log, server.base_url)
    posted = [r.post_data or "" for r in log.requests if r.method == "POST" and "/api/v1/reset/" in r.url]
    assert posted and all('"delete_old":false' in body for body in posted)
    assert not log.problems, log.problems


def test_ticked_the_old_data_is_deleted_at_once(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server()
    alice = signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    push_item(server.base_url, alice)
    pg, log = page
    new_key = _complete(pg, server, inbox, alice, delete_old=True)
    finish = sign_in(server.base_url, alice.email, NEW_PASSWORD, new_key)
    assert isinstance(finish, dict) and finish["generation"] == 2
    assert _archives(server, finish) == []
    assert "bank" not in server.dump_database()
    assert not log.problems, log.problems


def test_a_delayed_reset_says_when_and_changes_nothing_yet(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server(reset_delay_hours=24)
    alice = signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    pg, log = page
    new_key = _complete(pg, server, inbox, alice, delete_old=False)
    assert pg.get_by_role("heading", name="Your reset is scheduled").is_visible()
    note = pg.get_by_test_id("scheduled").inner_text()
    assert "takes effect on" in note and "UTC" in note and "safehold reset --cancel" in note
    screenshot(pg, "reset-result-scheduled")
    # Until then: the old password and key sign in, the new ones do not.
    assert isinstance(sign_in(server.base_url, alice.email, OLD_PASSWORD, alice.key), dict)
    refused = sign_in(server.base_url, alice.email, NEW_PASSWORD, new_key)
    assert isinstance(refused, httpx.Response) and refused.status_code == 401
    account = httpx.get(
        f"{server.base_url}/api/v1/account",
        headers={"Authorization": f"Bearer {alice.token}", wire.GENERATION_HEADER: "1"},
    ).json()
    assert account["generation"] == 1 and account["pending_reset"]["effective_at"]
    assert not log.problems, log.problems
