"""``safehold recovery-code`` and ``safehold recover`` end to end (issue 14 §4): the real
server on SQLite and PostgreSQL mailing through aiosmtpd, real CLI processes. A wrong code,
a made-up link, an expired link and a used link each change nothing and exit with their own
code; the right code with the right link keeps every item, and every device keeps its data
(an unsynced edit included). Nothing secret reaches the database, the log or the mail."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from tests.support.cli import profile_env
from tests.support.server import ServerHandle, run_server
from tests.support.smtp import SmtpSink, run_smtp
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

from safehold.crypto import RecoveryCode, b64encode, recovery_keys

EMAIL = "ann@example.com"
_LINK = re.compile(r"https?://[^\s\"<>]+/recover/[A-Za-z0-9_-]{20,}")


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}{result.stdout}"
    return json.loads(result.stdout)


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def mail_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[ServerHandle, SmtpSink]]:
    database_url = None
    if request.param == "postgres":
        database_url = os.environ.get("SAFEHOLD_TEST_DATABASE_URL")
        if not database_url:
            pytest.skip("SAFEHOLD_TEST_DATABASE_URL is not set")
    with run_smtp() as sink, run_server(tmp_path, smtp_port=sink.port, database_url=database_url) as server:
        yield server, sink


def _expire_links(database_url: str) -> None:
    """What an hour's wait does: every recovery link of the database is past its time."""
    engine = create_engine(database_url)
    with engine.begin() as db:
        db.execute(text("UPDATE recovery_tokens SET expires_at = :past"), {"past": "2000-01-01 00:00:00"})
    engine.dispose()


@pytest.mark.slow
def test_recovery_code_end_to_end(mail_server: tuple[ServerHandle, SmtpSink], tmp_path: Path) -> None:
    server, sink = mail_server
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))

    def run(
        profile: str, *args: str, password: str | None = PASSWORD, **env: str
    ) -> subprocess.CompletedProcess[str]:
        environment = profile_env(
            home=tmp_path, profile=tmp_path / profile, server=server.base_url,
            runtime=runtime / profile, device_name=profile, SAFEHOLD_IDLE_TIMEOUT="30",
        )  # fmt: skip
        if password is not None:
            environment["SAFEHOLD_PASSWORD"] = password
        environment.update(env)
        return subprocess.run([sys.executable, "-m", "safehold.cli.main", *args], env=environment,
                              capture_output=True, text=True, timeout=60)  # fmt: skip

    def titles(profile: str, password: str) -> list[str]:
        return sorted(i["title"] for i in _json(run(profile, "list", "--json", password=password)))

    def mail_link() -> str:
        before = len(sink.messages)
        assert run("C", "recover", EMAIL, password=None).returncode == 0
        mail = sink.wait_for(before + 1)[-1]
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        found = _LINK.search(body.get_content())  # type: ignore[union-attr]
        assert found is not None
        return found.group(0)

    old_key = _json(run("A", "signup", EMAIL, "--json"))["account_key"]
    _json(run("A", "add", "login", "--title", "GitHub", "--field", "password=item-secret-1", "--json"))
    assert run("A", "sync").returncode == 0
    _json(run("B", "login", EMAIL, "--account-key", old_key, "--json"))
    _json(run("B", "add", "login", "--title", "offline on B", "--json"))

    assert "No recovery code" in run("A", "recovery-code", "--status").stdout
    kit = tmp_path / "kit-with-code.pdf"
    made = _json(run("A", "recovery-code", "--kit", str(kit), "--json"))
    code = made["recovery_code"]
    assert code.startswith("SHR1-") and kit.exists()
    assert _json(run("A", "recovery-code", "--status", "--json"))["exists"] is True

    link = mail_link()
    recover = ("recover", "--link")
    # The link without a code (the mailbox alone): nothing to send, nothing sent.
    no_code = run("C", *recover, link, password=None, SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)
    assert no_code.returncode == 2 and "no recovery code given" in no_code.stderr
    # The link with a wrong code: refused, counted, nothing changes.
    wrong = run("C", *recover, link, password=None, SAFEHOLD_RECOVERY_CODE=RecoveryCode.generate().to_text(),
                SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
    assert wrong.returncode == 26, wrong.stderr
    # A typo never reaches the server.
    mistyped = code[:-1] + ("0" if code[-1] != "0" else "1")
    typo = run("C", *recover, link, password=None, SAFEHOLD_RECOVERY_CODE=mistyped,
               SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
    assert typo.returncode == 2 and "typo" in typo.stderr
    # The code without the link (a made-up one): refused.
    forged = run("C", *recover, f"{server.base_url}/recover/{'x' * 43}", password=None,
                 SAFEHOLD_RECOVERY_CODE=code, SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
    assert forged.returncode == 27, forged.stderr
    # An expired link: refused.
    stale = mail_link()
    _expire_links(server.database_url)
    expired = run("C", *recover, stale, password=None, SAFEHOLD_RECOVERY_CODE=code,
                  SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
    assert expired.returncode == 27 and "expired" in expired.stderr
    assert titles("A", PASSWORD) == ["GitHub"]  # nothing changed so far
    link = mail_link()

    # The code and the link: a new password, a new key, every item kept.
    done = run("C", *recover, link, "--json", password=None, SAFEHOLD_RECOVERY_CODE=code,
               SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
    result = _json(done)
    new_key = result["account_key"]
    assert result["generation"] == 1 and Path(result["kit"]).exists()
    assert "A" in done.stderr and "B" in done.stderr  # the device list
    assert titles("C", NEW_PASSWORD) == ["GitHub"]
    used = run(
        "C", *recover, link, password=None, SAFEHOLD_RECOVERY_CODE=code, SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD
    )
    assert used.returncode == 27 and "already used" in used.stderr
    subjects = [str(m["Subject"]) for m in sink.messages]
    assert "Your Safehold recovery code was used" in subjects

    # A and B are signed out, keep their data, and sign in with the new password and key.
    signed_out = run("A", "sync")
    assert signed_out.returncode == 8 and "recovered" in signed_out.stderr
    assert run("A", "login", EMAIL, "--account-key", old_key, password=PASSWORD).returncode == 3
    _json(run("A", "login", EMAIL, "--account-key", new_key, "--json", password=NEW_PASSWORD))
    assert titles("A", NEW_PASSWORD) == ["GitHub"]
    assert run("B", "sync").returncode == 8
    _json(run("B", "login", EMAIL, "--account-key", new_key, "--json", password=NEW_PASSWORD))
    assert titles("B", NEW_PASSWORD) == ["GitHub", "offline on B"]
    assert run("B", "sync", password=NEW_PASSWORD).returncode == 0
    assert run("C", "sync", password=NEW_PASSWORD).returncode == 0
    assert titles("C", NEW_PASSWORD) == ["GitHub", "offline on B"]
    # The code is used up.
    assert _json(run("A", "recovery-code", "--status", "--json", password=NEW_PASSWORD))["exists"] is False

    # Zero knowledge: the database, the log and every mail.
    ra = b64encode(recovery_keys(RecoveryCode.parse(code), bytes.fromhex(result["account_id"])).ra)
    seen = server.dump_database() + server.log_text() + "".join(m.as_string() for m in sink.messages)
    for secret in (NEW_PASSWORD, PASSWORD, new_key, old_key, code, ra, "item-secret-1", "offline on B"):
        assert secret not in seen and secret.replace("-", "") not in seen
    # The links' tokens are in the mails by design, never in the database or the log.
    stored = server.dump_database() + server.log_text()
    for url in (link, stale):
        assert url.rsplit("/", 1)[1] not in stored
