"""The real server over HTTP, on SQLite and (when configured) PostgreSQL: sign-up, SRP
sign-in, sync, devices, reset — then the zero-knowledge check on what the server kept."""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import httpx
import pytest
from tests.support.accounts import (
    TestAccount,
    changes,
    create_items,
    push,
    reset_body,
    signin,
    signin_raw,
    signup,
    sync_all,
)
from tests.support.server import ServerHandle, run_server

from safehold import wire
from safehold.crypto import b64decode, b64encode, int_to_hex

API = wire.API_PREFIX


def _reset_link(server: ServerHandle) -> str:
    resets = [m for m in server.read_outbox() if m["Subject"] == "Password reset for Safehold"]
    html = resets[-1].get_body(("html",)).get_content()  # type: ignore[union-attr]
    match = re.search(r'<a href="([^"]+)">here</a>', html)
    assert match, html
    assert match.group(1).startswith(f"{server.base_url}/reset/")
    return match.group(1)


def _mail_text(message: EmailMessage) -> str:
    """Headers, the raw form, and every part decoded: a secret in a base64 or
    quoted-printable part would not show in ``as_string()`` alone."""
    texts = [message.as_string(), *(f"{name}: {value}" for name, value in message.items())]
    for part in message.walk():
        if part.is_multipart():
            continue
        content = part.get_content()
        texts.append(content if isinstance(content, str) else content.decode("utf-8", "replace"))
    return "\n".join(texts)


def _derived_keys(http: httpx.Client, account: TestAccount) -> list[str]:
    """The keys the client derives from the password for the salt now on the server:
    the account unlock key and the SRP exponent ``x``, in every encoding that could leak."""
    start = http.post(f"{API}/auth/start", json={"email": account.email}).json()
    creds = account.credentials(salt=b64decode(start["kdf_salt"]))
    return [creds.auk.hex(), b64encode(creds.auk), int_to_hex(creds.x), format(creds.x, "x")]


@pytest.fixture(
    params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)],
)
def debug_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerHandle]:
    """Like ``any_server``, but logging at DEBUG: the most the server would ever log."""
    database_url = None
    if request.param == "postgres":
        database_url = os.environ.get("SAFEHOLD_TEST_DATABASE_URL") or None
        if database_url is None:
            pytest.skip("SAFEHOLD_TEST_DATABASE_URL is not set")
    with run_server(tmp_path, database_url=database_url, extra_env={"SAFEHOLD_LOG_LEVEL": "DEBUG"}) as handle:
        yield handle


def _assert_zero_knowledge(server: ServerHandle, *accounts: TestAccount, extra: list[str] = ()) -> None:  # type: ignore[assignment]
    dump = server.dump_database()
    log = server.log_text()
    mail = "\n".join(_mail_text(m) for m in server.read_outbox())
    for account in accounts:
        for secret in [*account.secrets_to_hide(), *extra]:
            assert secret not in dump, "a secret reached the database"
            assert secret not in log, "a secret reached the log"
            assert secret not in mail, "a secret reached the mail"


def test_full_flow_and_zero_knowledge(debug_server: ServerHandle) -> None:
    server = debug_server
    account = TestAccount.new(password="Tr0ub4dor & the horse battery", hint="usual one")
    old_secrets = None
    with server.client() as http:
        laptop = signup(http, account, device_name="laptop")
        phone = signin(http, account, device_name="phone")
        ids = create_items(
            http,
            laptop,
            account,
            [
                {"title": "Bank of Example", "password": "plaintext-item-password-1"},
                {"title": "Mail", "note": "plaintext secret note two"},
            ],
        )
        items, cursor = sync_all(http, phone)
        assert [i["item_id"] for i in items] == ids
        assert account.open(ids[0], items[0]["envelope"])["password"] == "plaintext-item-password-1"
        edited = push(http, phone, [{"item_id": ids[1], "base_revision": 1, "envelope": None}]).json()
        assert edited["results"][0]["status"] == "ok"
        delta, cursor = sync_all(http, laptop, cursor)
        assert [(c["item_id"], c["deleted"]) for c in delta] == [(ids[1], True)]
        session_tokens = [laptop.token, phone.token]

        # Unknown email: same status and words as a wrong password.
        assert signin_raw(http, TestAccount.new()).json() == signin_raw(http, account, password="nope").json()

        # Device revocation.
        assert http.delete(f"{API}/devices/{phone.device_id}", headers=laptop.headers()).status_code == 204
        assert changes(http, phone).json()["error"]["code"] == "session_revoked"

        # Reset through the mailed link; the same password, a new key.
        old_secrets = [*account.secrets_to_hide(), *_derived_keys(http, account)]
        assert http.post(f"{API}/reset", json={"email": account.email}).status_code == 202
        token = _reset_link(server).rsplit("/", 1)[1]
        assert http.get(f"{API}/reset/{token}").json()["next_generation"] == 2
        done = http.post(f"{API}/reset/{token}", json=reset_body(account, hint="new hint"))
        assert done.status_code == 200 and done.json()["generation"] == 2
        gone = changes(http, laptop)
        assert gone.status_code == 410 and gone.json()["error"]["code"] == "account_reset"
        assert gone.json()["error"]["reset_at"]
        fresh = signin(http, account, device_name="laptop again")
        assert fresh.generation == 2 and sync_all(http, fresh)[0] == []
        stale = push(http, fresh, [], generation=1)
        assert stale.status_code == 410
        create_items(http, fresh, account, [{"title": "after the reset, plaintext three"}])
        new_keys = _derived_keys(http, account)

    server.stop()  # flush logs
    assert " DEBUG " in server.log_text()  # the check ran against the chattiest log
    _assert_zero_knowledge(server, account, extra=[*old_secrets, *new_keys, *session_tokens, fresh.token])


def test_licence_survives_a_reset(server: ServerHandle) -> None:
    account = TestAccount.new()
    with server.client() as http:
        signup(http, account)
        result = server.cli(
            "license", "set", account.email, "--plan", "premium", "--expires", "2031-12-31", "--json"
        )
        assert result.returncode == 0, result.stderr
        http.post(f"{API}/reset", json={"email": account.email})
        token = _reset_link(server).rsplit("/", 1)[1]
        assert http.post(f"{API}/reset/{token}", json=reset_body(account)).status_code == 200
        session = signin(http, account)
        licence = http.get(f"{API}/account", headers=session.headers()).json()["license"]
        assert licence["plan"] == "premium" and licence["expires"].startswith("2031-12-31")
    shown = server.cli("accounts", "show", account.email, "--json")
    assert '"generation": 2' in shown.stdout


def test_openapi_and_healthz(server: ServerHandle) -> None:
    with server.client() as http:
        assert http.get("/healthz").json() == {"status": "ok"}
        spec = http.get("/openapi.json").json()
        assert f"{API}/vault/changes" in spec["paths"] and f"{API}/reset/{{token}}" in spec["paths"]
