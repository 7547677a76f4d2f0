"""Issue 5's scenario end to end, with real parts only: the server in a subprocess (SQLite,
and PostgreSQL when ``SAFEHOLD_TEST_DATABASE_URL`` is set) mailing through a real SMTP
server (aiosmtpd), the ``safehold`` CLI as subprocesses on two devices, the admin command
``safehold-server``, and Debian's Chromium finishing the reset from the mailed link.

Device A signs up and adds items, device B signs in and syncs, the account gets a premium
licence; the reset is started with ``safehold reset`` and completed in the browser with the
*same* password as before. Then each device finds out on its own, archives its copy and exits 9,
B signs in again with the new key, and nothing secret ever reached the server, its log or
any mail. (A reset interrupted by SIGKILL is ``tests/integration/server/test_crash.py``;
expired, used and forged links and the rate limit are ``test_reset_browser.py``.)
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.e2e._browser import Inbox, PageLog, link_named_here, only_server_hosts, screenshot
from tests.support.cli import profile_env
from tests.support.server import ServerHandle, run_server

from safehold import wire
from safehold.client.account import AccountService
from safehold.client.settings import ClientSettings
from safehold.crypto import AccountKey, b64encode

pytestmark = pytest.mark.browser

PG_ENV = "SAFEHOLD_TEST_DATABASE_URL"
EMAIL = "ann@example.com"
PASSWORD = "ann's long and unguessable pass phrase 7"
RESET_SUBJECT = "Password reset for Safehold"
RESET_DONE_SUBJECT = "Your Safehold account was reset"
EXPIRES = "2031-12-31"
API = wire.API_PREFIX

#: Item plaintext the server must never see: titles and field values.
ITEMS: list[list[str]] = [
    ["login", "--title", "Ann's bank login", "-f", "username=ann-bank-user", "-f", "password=Vault-PW-9f3"],
    ["secure note", "--title", "Locker combination", "--notes", "left 31 right 7 left 19"],
]
REPLAYED_ITEM = ["secure note", "--title", "Written just before the reset", "--notes", "replay-me-note"]
OFFLINE_ITEM = ["login", "--title", "Unsent edit on B", "-f", "password=never-uploaded-pw"]


def plaintexts(*specs: list[str]) -> list[str]:
    """The titles and field values in ``safehold add`` arguments."""
    out: list[str] = []
    for spec in specs:
        for flag, value in itertools.pairwise(spec):
            if flag in ("--title", "--notes"):
                out.append(value)
            elif flag == "-f":
                out.append(value.split("=", 1)[1])
    return out


# --- The CLI on separate devices ------------------------------------------------------------


@dataclass
class Devices:
    """Runs ``safehold`` as a subprocess with one profile directory per device name."""

    server: ServerHandle
    root: Path
    runtime: Path
    calls: list[subprocess.CompletedProcess[str]] = field(default_factory=list)

    def home(self, device: str) -> Path:
        return self.root / device

    def env(self, device: str) -> dict[str, str]:
        # The floor is cheap for the account made by signup; the reset page's cost is above it.
        return profile_env(
            home=self.root, profile=self.home(device), server=self.server.base_url,
            runtime=self.runtime / device, device_name=f"device {device}",
            SAFEHOLD_IDLE_TIMEOUT="30", SAFEHOLD_PASSWORD=PASSWORD,
        )  # fmt: skip

    def run(self, device: str, *args: str) -> subprocess.CompletedProcess[str]:
        result = subprocess.run(
            [sys.executable, "-m", "safehold.cli.main", *args],
            env=self.env(device),
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.calls.append(result)
        return result

    def ok(self, device: str, *args: str) -> subprocess.CompletedProcess[str]:
        result = self.run(device, *args)
        assert result.returncode == 0, f"{args}: exit {result.returncode}\n{result.stderr}{result.stdout}"
        return result

    def service(self, device: str, transport: httpx.BaseTransport | None = None) -> AccountService:
        """The client library on that device's profile, in this process."""
        return AccountService(ClientSettings.load(env=self.env(device)), transport=transport)


class RecordingTransport(httpx.HTTPTransport):
    """Keeps every request the client library sends, so one can be replayed later."""

    def __init__(self) -> None:
        super().__init__()
        self.requests: list[httpx.Request] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        return super().handle_request(request)


def as_json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.stdout, result.stderr
    return json.loads(result.stdout)


def account_show(server: ServerHandle) -> dict[str, Any]:
    shown = server.cli("accounts", "show", EMAIL, "--json")
    assert shown.returncode == 0, shown.stderr + shown.stdout
    data: dict[str, Any] = json.loads(shown.stdout)
    return data


def files_for(home: Path, account_id: str) -> list[Path]:
    return [p for p in home.rglob("*") if p.is_file() and account_id in p.name]


def assert_wiped(home: Path, account_id: str) -> None:
    """No live vault, outbox, key or session left for the account: all of it was moved into
    one archive in the profile (issue 14 §1: a reset claim never deletes); only Emergency
    Kits and that archive remain."""
    assert [p for p in files_for(home, account_id) if p.relative_to(home).parts[0] != "archives"] == []
    assert not (home / "current").exists()
    left = [p.relative_to(home) for p in home.rglob("*") if p.is_file()]
    # The device credential is about the device, not the vault (it opens nothing, and keeps
    # the device clear of a stranger's lock-out when it signs in again): it stays.
    assert all(p.parts[0] in ("kits", "archives", "device-credentials.json") for p in left), left
    archives = [p for p in (home / "archives").iterdir() if p.is_dir()]
    assert len(archives) == 1 and (archives[0] / "vault.db").exists(), archives
    manifest = json.loads((archives[0] / "manifest.json").read_text())
    assert manifest["account_id"] == account_id and manifest["has_account_key"]


# --- Fixtures -------------------------------------------------------------------------------


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def mailing_server(
    request: pytest.FixtureRequest, tmp_path: Path, smtp_inbox: tuple[Inbox, int]
) -> Iterator[ServerHandle]:
    """The server in a subprocess, sending its mail by SMTP to the aiosmtpd fixture."""
    database_url = None
    if request.param == "postgres":
        database_url = os.environ.get(PG_ENV) or None
        if database_url is None:
            pytest.skip(f"{PG_ENV} is not set")
    with run_server(tmp_path, database_url=database_url, smtp_port=smtp_inbox[1]) as handle:
        yield handle


@pytest.fixture
def devices(mailing_server: ServerHandle, tmp_path: Path) -> Iterator[Devices]:
    # Unix socket paths are short: the agent's runtime folder lives under /tmp.
    with tempfile.TemporaryDirectory(prefix="sh-") as runtime:
        yield Devices(mailing_server, tmp_path / "devices", Path(runtime))


# --- The scenario ---------------------------------------------------------------------------


def test_reset_scenario(
    mailing_server: ServerHandle,
    devices: Devices,
    smtp_inbox: tuple[Inbox, int],
    page: tuple[Any, PageLog],
) -> None:
    server = mailing_server
    inbox, _ = smtp_inbox
    pg, page_log = page

    # Device A signs up and adds items; B signs in with the account key and syncs.
    signed_up = as_json(devices.ok("A", "signup", EMAIL, "--json"))
    old_key = AccountKey.parse(signed_up["account_key"])
    account_id = signed_up["account_id"]
    for spec in ITEMS:
        devices.ok("A", "add", *spec)
    devices.ok("A", "sync")
    devices.ok("B", "login", EMAIL, "--account-key", old_key.to_text())
    devices.ok("B", "sync")
    titles = sorted(i["title"] for i in as_json(devices.ok("B", "list", "--json")))
    assert titles == sorted(spec[2] for spec in ITEMS)

    # A writes one more item; its push is recorded, to be replayed after the reset.
    devices.ok("A", "add", *REPLAYED_ITEM)
    recorder = RecordingTransport()
    unlocked = devices.service("A", recorder).unlock(PASSWORD)
    try:
        old_vault_key = unlocked.vk
        assert unlocked.sync().pushed == 1
    finally:
        unlocked.close()
    [old_push] = [r for r in recorder.requests if r.method == "POST" and r.url.path == f"{API}/vault/push"]
    assert old_push.headers[wire.GENERATION_HEADER] == "1"
    devices.ok("B", "sync")
    assert len(as_json(devices.ok("B", "list", "--json"))) == 3
    # B edits offline: an unsent edit that must never be uploaded after the reset.
    devices.ok("B", "add", *OFFLINE_ITEM)

    # A premium licence, set by the admin command.
    licensed = server.cli("license", "set", EMAIL, "--plan", "premium", "--expires", EXPIRES, "--json")
    assert licensed.returncode == 0, licensed.stderr
    before = account_show(server)
    assert before["generation"] == 1 and before["item_count"] == 3 and before["plan"] == "premium"
    assert before["account_id"] == account_id

    # `safehold reset` answers alike for an unknown address, and mails only the real one.
    mails_before = inbox.count()
    unknown = devices.ok("A", "reset", "nobody@example.com")
    first = devices.ok("A", "reset", EMAIL)
    assert unknown.stdout == first.stdout
    assert "If an account exists for that address, we have sent an email" in first.stdout
    assert "Open the email" in first.stdout
    first_link = link_named_here(inbox.wait_for(EMAIL, RESET_SUBJECT, after=mails_before))
    # A second request: both links work until one of them is used.
    second_start = inbox.count()
    devices.ok("B", "reset", EMAIL)
    link = link_named_here(inbox.wait_for(EMAIL, RESET_SUBJECT, after=second_start))
    assert link != first_link and link.startswith(f"{server.base_url}/reset/")
    assert all("nobody@example.com" not in str(m["To"]) for m in inbox.messages)

    # The browser: the link from the mail, the same password as before, the checkbox.
    pg.goto(link)
    assert pg.get_by_role("heading", name="Reset your account").is_visible()
    shown_devices = pg.get_by_test_id("devices").inner_text()
    assert "device A" in shown_devices and "device B" in shown_devices
    screenshot(pg, "scenario-reset-form")
    pg.get_by_label("New account password").fill(PASSWORD)
    pg.get_by_label("Confirm password").fill(PASSWORD)
    pg.get_by_label("Account hint").fill("the same one as before")
    pg.get_by_label("I understand that all data in this account will be deleted").check()
    done_start = inbox.count()
    pg.get_by_role("button", name="Reset account").click()
    key_element = pg.get_by_test_id("account-key")
    key_element.wait_for(state="visible", timeout=120_000)
    new_key = AccountKey.parse(key_element.inner_text().strip())
    assert new_key.secret != old_key.secret
    assert "safehold login" in pg.get_by_test_id("result").inner_text()
    screenshot(pg, "scenario-reset-result")
    assert not page_log.problems, page_log.problems
    only_server_hosts(page_log, server.base_url)
    done_mail = inbox.wait_for(EMAIL, RESET_DONE_SUBJECT, after=done_start)

    # Every outstanding link died with the one used.
    pg.goto(first_link)
    assert pg.get_by_test_id("link-error").get_attribute("data-reason") == "used"
    screenshot(pg, "scenario-older-link-used")

    after = account_show(server)
    assert after["generation"] == 2 and after["item_count"] == 0 and after["reset_at"]
    for kept in ("account_id", "email", "created_at", "plan", "license_status", "license_expires"):
        assert after[kept] == before[kept], kept
    assert after["license_expires"].startswith(EXPIRES)
    reset_at = datetime.fromisoformat(after["reset_at"])
    when = reset_at.strftime("%Y-%m-%d %H:%M UTC")
    assert when[:10] in done_mail.get_body(preferencelist=("plain",)).get_content()  # type: ignore[union-attr]

    # A finds out at its next sync: exit 9, the date, what to do; its copy is gone.
    found_a = devices.run("A", "sync")
    assert found_a.returncode == 9, found_a.stderr + found_a.stdout
    assert f"the account was reset on {when}" in found_a.stderr
    assert "sign in again with the new password and account key" in found_a.stderr
    assert_wiped(devices.home("A"), account_id)
    # B too, with an unsent edit waiting: nothing is uploaded.
    found_b = devices.run("B", "sync", "--json")
    assert found_b.returncode == 9, found_b.stderr + found_b.stdout
    error = as_json(found_b)["error"]
    assert error["kind"] == "account_reset" and error["exit_code"] == 9
    assert f"the account was reset on {when}" in error["message"]
    assert "new password and account key" in error["hint"]
    assert_wiped(devices.home("B"), account_id)
    assert account_show(server)["item_count"] == 0
    for device in ("A", "B"):
        assert devices.run(device, "list").returncode == 8  # no account on this device any more

    # Anything from before the reset is refused, even replayed: A's recorded push...
    replay_headers = {
        name: old_push.headers[name] for name in ("authorization", "content-type", wire.GENERATION_HEADER)
    }
    replayed = httpx.post(str(old_push.url), content=old_push.content, headers=replay_headers)
    assert replayed.status_code == 410, replayed.text
    assert replayed.json()["error"]["code"] == "account_reset"

    # The old key with the old password: email or password incorrect.
    refused = devices.run("A", "login", EMAIL, "--account-key", old_key.to_text())
    assert refused.returncode == 3, refused.stderr + refused.stdout
    assert "email, password or account key incorrect" in refused.stderr
    assert_wiped(devices.home("A"), account_id)

    # B signs in with the same password as before and the new key: an empty vault.
    devices.ok("B", "login", EMAIL, "--account-key", new_key.to_text())
    assert as_json(devices.ok("B", "list", "--json")) == []
    assert as_json(devices.ok("B", "status", "--json"))["generation"] == 2
    # ...and the same push under B's new session, still claiming generation 1.
    unlocked = devices.service("B").unlock(PASSWORD)
    try:
        new_vault_key, new_token = unlocked.vk, unlocked.token
    finally:
        unlocked.close()
    assert new_token and new_vault_key != old_vault_key
    stale = httpx.post(
        str(old_push.url),
        content=old_push.content,
        headers={**replay_headers, "authorization": f"Bearer {new_token}"},
    )
    assert stale.status_code == 410, stale.text
    final = account_show(server)
    assert final["item_count"] == 0 and final["generation"] == 2

    # --- The zero-knowledge check, after the reset ---------------------------------------
    secrets = [PASSWORD, *plaintexts(*ITEMS, REPLAYED_ITEM, OFFLINE_ITEM)]
    for key in (old_key, new_key):
        text = key.to_text()
        secrets += [text, text.replace("-", ""), key.secret.hex(), b64encode(key.secret)]
    for vault_key in (old_vault_key, new_vault_key):
        secrets += [vault_key.hex(), b64encode(vault_key)]

    # The browser sent neither the key nor the password anywhere.
    for request in page_log.requests:
        sent = request.url + (request.post_data or "")
        for secret in secrets:
            assert secret not in sent, f"the page sent a secret in {request.method} {request.url}"

    server.stop()  # flush the log
    places: dict[str, str] = {
        "database": server.dump_database(),
        "server log": server.log_text(),
    }
    mails: list[EmailMessage] = [*inbox.messages, *server.read_outbox()]
    assert len(mails) >= 4
    for number, mail in enumerate(mails):
        parts = [mail.as_string()]
        for part in mail.walk():
            if not part.is_multipart():
                parts.append(str(part.get_content()))
        places[f"mail {number} ({mail['Subject']})"] = "\n".join(parts)
    for place, text in places.items():
        lowered = text.lower()
        for secret in secrets:
            assert secret not in text and secret.lower() not in lowered, f"a secret is in the {place}"
