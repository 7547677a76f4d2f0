"""Recovery with a recovery code in a real browser (issue 14 §4): real server, real SMTP,
Debian's Chromium. The page opens the vault key with the code and re-wraps the same key
under a new account key; the Python implementation then proves that what the server holds
opens with the new password and key to the SAME vault key, that the item is still there,
that the old session was signed out as ``recovered``, and that nothing secret left the page."""

from __future__ import annotations

import secrets
from typing import Any

import httpx
import pytest
from tests.e2e._browser import Inbox, PageLog, link_named_here, only_server_hosts, screenshot
from tests.e2e.test_reset_browser import (
    NEW_PASSWORD,
    OLD_PASSWORD,
    TEST_POLICY,
    Account,
    form_error,
    push_item,
    sign_in,
    signup,
)

from safehold import wire
from safehold.crypto import (
    AccountKey,
    KdfParams,
    RecoveryCode,
    SrpClient,
    VaultCipher,
    b64decode,
    b64encode,
    derive_keys,
    hex_to_int,
    int_to_hex,
    open_keyset,
    recovery_keys,
    seal_recovery,
)

pytestmark = pytest.mark.browser

SUBJECT = "Recover your Safehold account with your recovery code"


def make_code(base: str, account: Account) -> RecoveryCode:
    """``safehold recovery-code`` done by hand: a fresh SRP proof, the wrap and the hash."""
    start = httpx.post(f"{base}/api/v1/auth/start", json={"email": account.email}).json()
    salt = b64decode(start["kdf_salt"])
    params = KdfParams(**start["kdf_params"])
    keys = derive_keys(
        email=account.email, password=account.password, account_key_secret=account.key.secret,
        account_id=account.account_id, kdf_salt=salt, params=params, policy=TEST_POLICY,
    )  # fmt: skip
    client = SrpClient(email=account.email, salt=salt, x=keys.srp_x)
    m1 = client.process_challenge(hex_to_int(start["B"]))
    code = RecoveryCode.generate()
    rkeys = recovery_keys(code, account.account_id)
    wrapped = b64encode(seal_recovery(rkeys, account.vk, account.account_id, 1))
    body = wire.RecoveryCodeRequest(
        login_id=start["login_id"], A=int_to_hex(client.A), M1=m1.hex(), wrapped=wrapped,
        auth_hash=rkeys.auth_hash.hex(),
    )  # fmt: skip
    r = httpx.put(f"{base}/api/v1/account/recovery", json=body.model_dump(),
                  headers={"Authorization": f"Bearer {account.token}"})  # fmt: skip
    assert r.status_code == 200, r.text
    client.verify_server(bytes.fromhex(r.json()["M2"]))
    return code


def test_recovery_in_the_browser(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server()
    alice = signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    push_item(server.base_url, alice)
    code = make_code(server.base_url, alice)
    pg, log = page

    # /reset points to /recover.
    pg.goto(f"{server.base_url}/reset")
    pg.get_by_role("link", name="Recover without losing anything").click()
    pg.wait_for_url(f"{server.base_url}/recover")
    before = inbox.count()
    pg.get_by_label("Email address").fill(alice.email)
    pg.get_by_role("button", name="Email me a recovery link").click()
    pg.get_by_test_id("recover-sent").wait_for()
    link = link_named_here(inbox.wait_for(alice.email, SUBJECT, after=before))
    assert link.startswith(f"{server.base_url}/recover/")

    pg.goto(link)
    assert pg.get_by_role("heading", name="Recover your account").is_visible()
    assert "laptop A" in pg.get_by_test_id("devices").inner_text()
    screenshot(pg, "recover-form")
    submit = pg.get_by_role("button", name="Recover account")
    code_box = pg.get_by_label("Recovery code")
    pg.get_by_label("New account password").fill(NEW_PASSWORD)
    pg.get_by_label("Confirm password").fill(NEW_PASSWORD)

    submit.click()
    assert form_error(pg)[0] == "code_empty"
    text = code.to_text()
    code_box.fill(text[:-1] + ("0" if text[-1] != "0" else "1"))
    submit.click()
    assert form_error(pg)[0] == "code_typo"
    code_box.fill(RecoveryCode.generate().to_text())
    submit.click()
    kind, message = form_error(pg)
    assert kind == "recovery_code_wrong" and "Nothing was changed" in message
    screenshot(pg, "recover-form-wrong-code")

    code_box.fill(text.lower().replace("-", " "))  # read as typed
    pg.get_by_label("Account hint").fill("new hint")
    submit.click()
    key_element = pg.get_by_test_id("account-key")
    key_element.wait_for(state="visible", timeout=120_000)
    key_text = key_element.inner_text().strip()
    new_key = AccountKey.parse(key_text)
    assert new_key.secret != alice.key.secret
    screenshot(pg, "recover-result")

    # The server holds the SAME vault key under the new password and key, generation 1, the item kept.
    finish = sign_in(server.base_url, alice.email, NEW_PASSWORD, new_key)
    assert isinstance(finish, dict), finish
    assert finish["generation"] == 1 and finish["hint"] == "new hint"
    vk = open_keyset(finish["auk"], b64decode(finish["keyset"]), alice.account_id, 1)
    assert vk == alice.vk
    headers = {"Authorization": f"Bearer {finish['session']['token']}", wire.GENERATION_HEADER: "1"}
    changes = httpx.get(f"{server.base_url}/api/v1/vault/changes?since=0", headers=headers).json()["changes"]
    assert len(changes) == 1
    opened = VaultCipher(vk, alice.account_id, 1).open_item(bytes.fromhex(changes[0]["item_id"]),
                                                           b64decode(changes[0]["envelope"]))  # fmt: skip
    assert opened == {"title": "bank"}
    # The old session was signed out as "recovered"; the old password opens nothing.
    old = httpx.get(f"{server.base_url}/api/v1/account", headers={"Authorization": f"Bearer {alice.token}"})
    assert old.status_code == 401 and old.json()["error"]["reason"] == "recovered"
    assert isinstance(sign_in(server.base_url, alice.email, OLD_PASSWORD, alice.key), httpx.Response)
    assert inbox.wait_for(alice.email, "Your Safehold recovery code was used")

    # Only the server was asked, and only `ra` and public values were sent.
    only_server_hosts(log, server.base_url)
    rkeys = recovery_keys(code, alice.account_id)
    for request in log.requests:
        sent = (request.post_data or "") + request.url
        for secret in (text, text.replace("-", ""), key_text, NEW_PASSWORD, vk.hex(), b64encode(vk),
                       rkeys.rk.hex(), b64encode(rkeys.rk), code.secret.hex()):  # fmt: skip
            assert secret not in sent, f"a secret left the page in {request.method} {request.url}"
    posts = [r for r in log.requests if r.method == "POST" and "/api/v1/recover/" in r.url]
    assert [set(p.post_data_json) for p in posts][-2:] == [
        {"auth"},
        {"auth", "kdf_salt", "kdf_params", "verifier", "keyset", "hint"},
    ]
    # The one failed load is the wrong code's 401, which the page showed as its own message.
    assert [p for p in log.problems if "status of 401" not in p] == [], log.problems
    assert len(log.problems) == 1

    pg.goto(link)
    used = pg.get_by_test_id("link-error")
    assert used.get_attribute("data-reason") == "used" and "already used" in used.inner_text()


def test_forged_recovery_link(start_server: Any, page: tuple[Any, PageLog]) -> None:
    server = start_server()
    pg, _ = page
    pg.goto(f"{server.base_url}/recover/{secrets.token_urlsafe(32)}")
    assert pg.get_by_test_id("link-error").get_attribute("data-reason") == "invalid"


def test_a_lost_answer_is_sent_again_and_shows_the_key_in_force(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    """The server applies the recovery but the answer never reaches the page: pressing the
    button again sends the same request, and the page shows the key the account now has."""
    inbox, _ = smtp_inbox
    server = start_server()
    alice = signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    code = make_code(server.base_url, alice)
    pg, _ = page
    before = inbox.count()
    httpx.post(f"{server.base_url}/api/v1/recover", json={"email": alice.email}).raise_for_status()
    link = link_named_here(inbox.wait_for(alice.email, SUBJECT, after=before))
    token = link.rsplit("/", 1)[1]
    lost: list[int] = []

    def drop_answer(route: Any) -> None:
        if lost:
            route.continue_()
            return
        answer = route.fetch()  # the server does the recovery...
        lost.append(answer.status)
        route.abort()  # ...and the page never hears of it

    pg.route(f"{server.base_url}/api/v1/recover/{token}", drop_answer)
    pg.goto(link)
    pg.get_by_label("Recovery code").fill(code.to_text())
    pg.get_by_label("New account password").fill(NEW_PASSWORD)
    pg.get_by_label("Confirm password").fill(NEW_PASSWORD)
    submit = pg.get_by_role("button", name="Recover account")
    submit.click()
    kind, _ = form_error(pg)
    assert kind == "network" and lost == [200]
    submit.click()
    key_element = pg.get_by_test_id("account-key")
    key_element.wait_for(state="visible", timeout=120_000)
    new_key = AccountKey.parse(key_element.inner_text().strip())
    finish = sign_in(server.base_url, alice.email, NEW_PASSWORD, new_key)
    assert isinstance(finish, dict), finish
    assert open_keyset(finish["auk"], b64decode(finish["keyset"]), alice.account_id, 1) == alice.vk
