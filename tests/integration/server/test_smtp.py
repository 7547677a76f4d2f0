"""Mail over real SMTP: the server talks to an aiosmtpd server."""

from __future__ import annotations

from pathlib import Path

from tests.support.accounts import TestAccount, signin, signup
from tests.support.server import run_server
from tests.support.smtp import SmtpSink

from safehold import wire

API = wire.API_PREFIX


def test_signin_notice_and_reset_mail_arrive_by_smtp(tmp_path: Path, smtp_server: SmtpSink) -> None:
    with run_server(tmp_path, smtp_port=smtp_server.port) as server, server.client() as http:
        account = TestAccount.new()
        signup(http, account)
        signin(http, account, device_name="Travel tablet")
        http.post(f"{API}/reset", json={"email": account.email})
        received = smtp_server.wait_for(2)
        assert [m["Subject"] for m in received] == [
            "New sign-in to your Safehold account",
            "Password reset for Safehold",
        ]
        assert all(m["To"] == account.email for m in received)
        assert "Travel tablet" in received[0].get_body(("plain",)).get_content()  # type: ignore[union-attr]
        html = received[1].get_body(("html",)).get_content()  # type: ignore[union-attr]
        assert f'<a href="{server.base_url}/reset/' in html and ">here</a>" in html
        assert smtp_server.envelopes[0][1] == [account.email]
        assert server.read_outbox() == []
