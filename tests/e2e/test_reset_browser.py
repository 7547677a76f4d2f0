"""Account reset in a real browser (issue 5): real server, real SMTP, Debian's Chromium.

The page makes the new keys with its own JavaScript; these tests then prove with the Python
implementation that what the server now holds opens with the new key and password, that
the old ones no longer work, and that the page talked to no one but the server.
"""

from __future__ import annotations

import secrets
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e._browser import Inbox, PageLog, link_named_here, only_server_hosts, screenshot
from tests.support.server import ServerHandle

from safehold import wire
from safehold.crypto import (
    AccountKey,
    KdfParams,
    KdfPolicy,
    KitPayload,
    SrpClient,
    TamperedData,
    VaultCipher,
    b64decode,
    b64encode,
    derive_keys,
    hex_to_int,
    int_to_hex,
    new_kdf_salt,
    new_vault_key,
    open_keyset,
    seal_keyset,
    verifier,
)

pytestmark = pytest.mark.browser

SUBJECT = "Password reset for Safehold"
SENT = "If an account exists for that address, we have sent an email"
CHEAP = KdfParams(t=1, m_kib=64, p=1)
#: Sign-up in these tests uses a cheap cost; the client side of the test accepts it.
TEST_POLICY = KdfPolicy(floor=KdfParams(t=1, m_kib=8, p=1))
OLD_PASSWORD = "old pass phrase for alice"
NEW_PASSWORD = "brand new correct horse battery"


# --- A minimal client built on safehold.crypto, independent of the CLI --------------------


class Account:
    def __init__(self, email: str, password: str, key: AccountKey, account_id: bytes) -> None:
        self.email = email
        self.password = password
        self.key = key
        self.account_id = account_id
        self.token = ""
        self.vk = b""


def signup(base: str, email: str, password: str, params: KdfParams = CHEAP) -> Account:
    account = Account(email, password, AccountKey.generate(), secrets.token_bytes(16))
    salt = new_kdf_salt()
    keys = derive_keys(
        email=email,
        password=password,
        account_key_secret=account.key.secret,
        account_id=account.account_id,
        kdf_salt=salt,
        params=params,
        policy=TEST_POLICY,
    )
    account.vk = new_vault_key()
    body = wire.SignupRequest(
        email=email,
        account_id=account.account_id.hex(),
        kdf_salt=b64encode(salt),
        kdf_params=wire.KdfParams(t=params.t, m_kib=params.m_kib, p=params.p),
        verifier=int_to_hex(verifier(keys.srp_x)),
        keyset=b64encode(seal_keyset(keys.auk, account.vk, account.account_id, 1)),
        hint="old hint",
        device_id=secrets.token_hex(16),
        device_name="laptop A",
    )
    r = httpx.post(f"{base}/api/v1/accounts", json=body.model_dump())
    assert r.status_code == 201, r.text
    account.token = r.json()["session"]["token"]
    return account


def push_item(base: str, account: Account) -> None:
    item_id = secrets.token_bytes(16)
    envelope = VaultCipher(account.vk, account.account_id, 1).seal_item(item_id, {"title": "bank"})
    r = httpx.post(
        f"{base}/api/v1/vault/push",
        json={"writes": [{"item_id": item_id.hex(), "base_revision": 0, "envelope": b64encode(envelope)}]},
        headers={"Authorization": f"Bearer {account.token}", wire.GENERATION_HEADER: "1"},
    )
    assert r.status_code == 200, r.text
    assert r.json()["results"][0]["status"] == "ok"


def sign_in(base: str, email: str, password: str, key: AccountKey) -> httpx.Response | dict[str, Any]:
    """SRP sign-in; returns the finish answer plus ``auk``, or the failed response."""
    start = httpx.post(f"{base}/api/v1/auth/start", json={"email": email}).json()
    salt = b64decode(start["kdf_salt"])
    keys = derive_keys(
        email=email,
        password=password,
        account_key_secret=key.secret,
        account_id=bytes.fromhex(start["account_id"]),
        kdf_salt=salt,
        params=KdfParams(**start["kdf_params"]),
        policy=TEST_POLICY,
    )
    client = SrpClient(email=email, salt=salt, x=keys.srp_x)
    m1 = client.process_challenge(hex_to_int(start["B"]))
    r = httpx.post(
        f"{base}/api/v1/auth/finish",
        json={
            "login_id": start["login_id"],
            "A": int_to_hex(client.A),
            "M1": m1.hex(),
            "device_id": secrets.token_hex(16),
            "device_name": "e2e check",
        },
    )
    if r.status_code != 200:
        return r
    finish: dict[str, Any] = r.json()
    client.verify_server(bytes.fromhex(finish["M2"]))
    finish["auk"] = keys.auk
    finish["account_id"] = start["account_id"]
    finish["kdf_params"] = start["kdf_params"]
    return finish


# --- Helpers for the pages -----------------------------------------------------------------


def request_reset_in_browser(pg: Any, server: ServerHandle, email: str) -> None:
    pg.goto(f"{server.base_url}/reset")
    pg.get_by_label("Email address").fill(email)
    pg.get_by_role("button", name="Start process").click()
    pg.get_by_test_id("reset-sent").wait_for()
    assert SENT in pg.get_by_test_id("reset-sent").inner_text()


def form_error(pg: Any) -> tuple[str, str]:
    box = pg.get_by_test_id("form-error")
    box.wait_for(state="visible")
    return box.get_attribute("data-error") or "", box.inner_text()


# --- Tests ------------------------------------------------------------------------------------


def test_start_page_answers_alike_and_mails_only_real_accounts(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server()
    signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    pg, log = page

    pg.goto(f"{server.base_url}/reset")
    assert pg.get_by_role("heading", name="Reset your account").is_visible()
    warning = pg.locator(".warning").inner_text()
    assert "do not need a reset" in warning
    assert "deletes everything" in warning
    assert "change your password there instead" in warning
    # The warning comes before the form.
    assert pg.locator(".warning").bounding_box()["y"] < pg.get_by_label("Email address").bounding_box()["y"]
    screenshot(pg, "reset-start")

    before = inbox.count()
    request_reset_in_browser(pg, server, "nobody@example.com")
    unknown_answer = pg.get_by_test_id("reset-sent").inner_text()
    request_reset_in_browser(pg, server, "Alice@Example.com")
    assert pg.get_by_test_id("reset-sent").inner_text() == unknown_answer
    screenshot(pg, "reset-sent")
    inbox.wait_for("alice@example.com", SUBJECT, after=before)
    time.sleep(0.5)
    assert inbox.count() == before + 1, "an unknown address gets no mail"
    only_server_hosts(log, server.base_url)
    assert not [r for r in log.requests if "zxcvbn" in r.url], "only the reset form loads zxcvbn"
    assert not log.problems, log.problems


def test_rate_limit_has_its_own_message(start_server: Any, page: tuple[Any, PageLog]) -> None:
    server = start_server(request_limit_per_address=1)
    pg, _ = page
    request_reset_in_browser(pg, server, "carol@example.com")
    pg.goto(f"{server.base_url}/reset")
    pg.get_by_label("Email address").fill("carol@example.com")
    pg.get_by_role("button", name="Start process").click()
    limited = pg.get_by_test_id("rate-limited")
    limited.wait_for()
    assert "Too many reset requests" in limited.inner_text()
    assert pg.get_by_test_id("reset-sent").count() == 0
    screenshot(pg, "reset-rate-limited")


def test_full_reset_in_the_browser(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog], tmp_path: Path
) -> None:
    inbox, _ = smtp_inbox
    server = start_server()
    alice = signup(server.base_url, "alice@example.com", OLD_PASSWORD)
    push_item(server.base_url, alice)
    pg, log = page

    before = inbox.count()
    request_reset_in_browser(pg, server, alice.email)
    link = link_named_here(inbox.wait_for(alice.email, SUBJECT, after=before))
    assert link.startswith(f"{server.base_url}/reset/")

    pg.goto(link)
    assert pg.get_by_role("heading", name="Reset your account").is_visible()
    devices = pg.get_by_test_id("devices").inner_text()
    assert "laptop A" in devices and "UTC" in devices
    screenshot(pg, "reset-form")

    password = pg.get_by_label("New account password")
    confirm = pg.get_by_label("Confirm password")
    submit = pg.get_by_role("button", name="Reset account")

    submit.click()
    kind, text = form_error(pg)
    assert kind == "empty" and "Enter a new account password" in text
    screenshot(pg, "reset-form-empty")
    password.fill("password1")
    confirm.fill("password1")
    submit.click()
    kind, text = form_error(pg)
    assert kind == "weak" and "too easy to guess" in text
    # zxcvbn's own words: its score on the meter, its warning in the error.
    assert "This is a very common password" in text
    meter = pg.get_by_test_id("strength")
    assert meter.get_attribute("data-score") == "0" and "(0 of 4)" in meter.inner_text()
    screenshot(pg, "reset-form-weak")
    # The audit's passwords that the old home-made meter let through.
    for weak in ("a" * 61, "passwordpassword", "iloveyouiloveyou", "1" * 68, alice.email * 2):
        password.fill(weak)
        confirm.fill(weak)
        submit.click()
        assert form_error(pg)[0] == "weak", weak
    password.fill(NEW_PASSWORD)
    confirm.fill(NEW_PASSWORD + "x")
    submit.click()
    kind, text = form_error(pg)
    assert kind == "mismatch" and "do not match" in text
    screenshot(pg, "reset-form-mismatch")
    confirm.fill(NEW_PASSWORD)
    submit.click()
    kind, text = form_error(pg)
    assert kind == "unticked" and "all data in this account will be deleted" in text
    screenshot(pg, "reset-form-unticked")
    assert "Strong (4 of 4)" in pg.get_by_test_id("strength").inner_text()
    # The 800 KB zxcvbn came from this server, for this form only.
    assert [r.url for r in log.requests if r.url.endswith("/static/vendor/zxcvbn/zxcvbn.js")] == [
        f"{server.base_url}/static/vendor/zxcvbn/zxcvbn.js"
    ]

    pg.get_by_label("Account hint").fill("new hint")
    pg.get_by_label("I understand that all data in this account will be deleted").check()
    submit.click()
    key_element = pg.get_by_test_id("account-key")
    key_element.wait_for(state="visible", timeout=120_000)
    key_text = key_element.inner_text().strip()
    new_key = AccountKey.parse(key_text)
    assert new_key.to_text() == key_text
    assert new_key.secret != alice.key.secret
    # The command for each device (also a new one: it names the server); the key is typed
    # at its hidden prompt, never put in the command's arguments.
    command = pg.get_by_test_id("login-command").inner_text()
    assert command == f"safehold login {alice.email} --server {server.base_url}"
    assert key_text not in pg.locator("pre.command").all_inner_texts()[0]
    kit_command = pg.get_by_test_id("login-kit-command").inner_text()
    assert kit_command == f'safehold login {alice.email} --kit "Safehold Emergency Kit.pdf"'
    screenshot(pg, "reset-result")

    # The Emergency Kit: a PDF made in the browser whose QR code is the kit URI.
    with pg.expect_download() as download:
        pg.get_by_role("button", name="Save Emergency Kit").click()
    kit_file = tmp_path / "kit.pdf"
    download.value.save_as(kit_file)
    expected_uri = KitPayload(server=server.base_url, email=alice.email, account_key=new_key).to_uri()
    check_kit_pdf(kit_file, expected_uri, key_text)

    # What the server now holds opens with the new key and password, at generation 2.
    finish = sign_in(server.base_url, alice.email, NEW_PASSWORD, new_key)
    assert isinstance(finish, dict), finish.text if isinstance(finish, httpx.Response) else finish
    assert finish["generation"] == 2
    assert finish["hint"] == "new hint"
    assert finish["kdf_params"] == {"t": 3, "m_kib": 65536, "p": 4}
    vk = open_keyset(finish["auk"], b64decode(finish["keyset"]), alice.account_id, 2)
    assert len(vk) == 32
    headers = {"Authorization": f"Bearer {finish['session']['token']}", wire.GENERATION_HEADER: "2"}
    changes = httpx.get(f"{server.base_url}/api/v1/vault/changes?since=0", headers=headers).json()
    assert changes["changes"] == [] and changes["generation"] == 2
    account = httpx.get(f"{server.base_url}/api/v1/account", headers=headers).json()
    assert account["account_id"] == alice.account_id.hex() and account["item_count"] == 0

    # The old session learns of the reset; the old key and password no longer open anything.
    old = httpx.get(f"{server.base_url}/api/v1/account", headers={"Authorization": f"Bearer {alice.token}"})
    assert old.status_code == 410 and old.json()["error"]["code"] == "account_reset"
    failed = sign_in(server.base_url, alice.email, OLD_PASSWORD, alice.key)
    assert isinstance(failed, httpx.Response) and failed.status_code == 401
    with pytest.raises(TamperedData):
        old_keys = derive_keys(
            email=alice.email,
            password=NEW_PASSWORD,
            account_key_secret=alice.key.secret,
            account_id=alice.account_id,
            kdf_salt=b64decode(sign_in_salt(server.base_url, alice.email)),
            params=KdfParams(),
        )
        open_keyset(old_keys.auk, b64decode(finish["keyset"]), alice.account_id, 2)

    # Only the server was asked for anything, and no request carried a secret.
    only_server_hosts(log, server.base_url)
    for request in log.requests:
        sent = (request.post_data or "") + request.url
        for secret in (key_text, NEW_PASSWORD, new_key.secret.hex(), vk.hex()):
            assert secret not in sent, f"a secret left the page in {request.method} {request.url}"
    posts = [r for r in log.requests if r.method == "POST" and "/api/v1/reset/" in r.url]
    assert len(posts) == 1
    sent_fields = set(posts[0].post_data_json)
    public = {"kdf_salt", "kdf_params", "verifier", "keyset", "hint", "confirm_wipe", "delete_old"}
    assert sent_fields == public
    assert not log.problems, log.problems

    # The link is single-use.
    pg.goto(link)
    used = pg.get_by_test_id("link-error")
    assert used.get_attribute("data-reason") == "used"
    assert "already used" in used.inner_text()
    screenshot(pg, "reset-link-used")


def sign_in_salt(base: str, email: str) -> str:
    salt: str = httpx.post(f"{base}/api/v1/auth/start", json={"email": email}).json()["kdf_salt"]
    return salt


def check_kit_pdf(path: Path, expected_uri: str, key_text: str) -> None:
    pdfium = pytest.importorskip("pypdfium2")
    zxingcpp = pytest.importorskip("zxingcpp")
    document = pdfium.PdfDocument(str(path))
    try:
        assert len(document) == 1
        page = document[0]
        text = page.get_textpage().get_text_range()
        assert key_text in text
        image = page.render(scale=3).to_pil()
        codes = [code.text for code in zxingcpp.read_barcodes(image)]
        assert codes == [expected_uri]
    finally:
        document.close()


def test_forged_link(start_server: Any, page: tuple[Any, PageLog]) -> None:
    server = start_server()
    pg, _ = page
    response = pg.goto(f"{server.base_url}/reset/{secrets.token_urlsafe(32)}")
    assert response is not None and response.status == 404
    error = pg.get_by_test_id("link-error")
    assert error.get_attribute("data-reason") == "invalid"
    assert "not valid" in error.inner_text()
    assert pg.get_by_label("New account password").count() == 0
    screenshot(pg, "reset-link-invalid")


def test_expired_link(start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]) -> None:
    inbox, _ = smtp_inbox
    server = start_server(reset_token_minutes=0.02)  # 1.2 seconds
    signup(server.base_url, "dave@example.com", OLD_PASSWORD)
    before = inbox.count()
    r = httpx.post(f"{server.base_url}/api/v1/reset", json={"email": "dave@example.com"})
    assert r.status_code == 202
    link = link_named_here(inbox.wait_for("dave@example.com", SUBJECT, after=before))
    time.sleep(1.5)
    pg, _ = page
    response = pg.goto(link)
    assert response is not None and response.status == 410
    error = pg.get_by_test_id("link-error")
    assert error.get_attribute("data-reason") == "expired"
    assert "expired" in error.inner_text()
    screenshot(pg, "reset-link-expired")


# --- The link dies, or the server says no, while the form is open ---------------------------


def open_form(pg: Any, server: ServerHandle, inbox: Inbox, email: str) -> str:
    before = inbox.count()
    r = httpx.post(f"{server.base_url}/api/v1/reset", json={"email": email})
    assert r.status_code == 202
    link = link_named_here(inbox.wait_for(email, SUBJECT, after=before))
    response = pg.goto(link)
    assert response is not None and response.status == 200
    # The form is usable once zxcvbn has loaded and judged a first keystroke.
    pg.get_by_label("New account password").fill(NEW_PASSWORD)
    pg.wait_for_function("document.getElementById('meter-text').dataset.score === '4'")
    return link


def fill_and_submit(pg: Any) -> None:
    pg.get_by_label("New account password").fill(NEW_PASSWORD)
    pg.get_by_label("Confirm password").fill(NEW_PASSWORD)
    pg.get_by_label("I understand that all data in this account will be deleted").check()
    pg.get_by_role("button", name="Reset account").click()


def slow_form_error(pg: Any) -> tuple[str, str]:
    """The form's error after the keys were made (Argon2id at full cost takes seconds)."""
    box = pg.get_by_test_id("form-error")
    box.wait_for(state="visible", timeout=120_000)
    return box.get_attribute("data-error") or "", box.inner_text()


def test_link_expires_while_the_form_is_open(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server(reset_token_minutes=0.1)  # 6 seconds
    account = signup(server.base_url, "erin@example.com", OLD_PASSWORD)
    pg, log = page
    link = open_form(pg, server, inbox, account.email)
    token = link.rsplit("/", 1)[1]
    deadline = time.monotonic() + 30
    while httpx.get(f"{server.base_url}/api/v1/reset/{token}").status_code != 410:
        assert time.monotonic() < deadline, "the link never expired"
        time.sleep(0.2)

    fill_and_submit(pg)
    kind, text = slow_form_error(pg)
    assert kind == "token_expired" and "expired" in text and "Nothing was changed" in text
    assert pg.get_by_test_id("result").is_hidden()
    screenshot(pg, "reset-form-link-expired")
    # Nothing was changed: the old session still works.
    old = httpx.get(f"{server.base_url}/api/v1/account", headers={"Authorization": f"Bearer {account.token}"})
    assert old.status_code == 200 and old.json()["generation"] == 1
    # Chromium logs the expected 410 itself; anything else is a real problem.
    assert [p for p in log.problems if "status of 410" not in p] == [], log.problems


def test_link_used_in_another_tab_while_the_form_is_open(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    server = start_server()
    account = signup(server.base_url, "frank@example.com", OLD_PASSWORD)
    pg, _ = page
    link = open_form(pg, server, inbox, account.email)

    other = pg.context.new_page()
    other.goto(link)
    fill_and_submit(other)
    other.get_by_test_id("account-key").wait_for(state="visible", timeout=120_000)
    key_text = other.get_by_test_id("account-key").inner_text().strip()

    fill_and_submit(pg)
    kind, text = slow_form_error(pg)
    assert kind == "token_used" and "already used" in text
    assert pg.get_by_test_id("result").is_hidden()
    screenshot(pg, "reset-form-link-used")
    # The first tab's reset stands: its key opens the account at generation 2.
    finish = sign_in(server.base_url, account.email, NEW_PASSWORD, AccountKey.parse(key_text))
    assert isinstance(finish, dict) and finish["generation"] == 2


def test_server_refusal_and_unreachable_server_have_their_own_messages(
    start_server: Any, smtp_inbox: tuple[Inbox, int], page: tuple[Any, PageLog]
) -> None:
    inbox, _ = smtp_inbox
    # A server that asks for more passes than the page (spec defaults) uses: it says 422.
    server = start_server(min_kdf_params='{"t": 4, "m_kib": 65536, "p": 4}')
    # Sign-up enforces the minimum too, so this account is made at it.
    account = signup(server.base_url, "gina@example.com", OLD_PASSWORD, KdfParams(t=4, m_kib=65536, p=4))
    pg, log = page
    link = open_form(pg, server, inbox, account.email)
    fill_and_submit(pg)
    kind, text = slow_form_error(pg)
    assert kind == "refused", text
    assert text.startswith("The server refused the new keys: ") and "kdf_params.t" in text
    assert "browser could not create" not in text
    screenshot(pg, "reset-form-refused")
    assert httpx.get(link.replace("/reset/", "/api/v1/reset/")).status_code == 200, "the link still works"

    # The server goes away while the form is open: nothing was changed, try again.
    server.kill()
    pg.get_by_role("button", name="Reset account").click()
    kind, text = slow_form_error(pg)
    assert kind == "network", text
    assert "could not be reached" in text and "nothing was changed" in text
    screenshot(pg, "reset-form-unreachable")
    log.problems[:] = [p for p in log.problems if "Failed to load resource" not in p and "422" not in p]
