"""Mail through a relay that fails: temporary failures (no connection, 4xx) are tried
again, permanent ones (5xx) are not, and stopping the server does not wait for a relay
that keeps failing. Against a real SMTP server (aiosmtpd)."""

from __future__ import annotations

import logging
import ssl
import time
from datetime import UTC, datetime

import aiosmtplib
import pytest
from tests.support.server import free_port
from tests.support.smtp import SmtpSink, run_smtp

from safehold.server.mail import messages
from safehold.server.mail.dispatch import Mailer, is_temporary
from safehold.server.mail.sender import SmtpSender

QUICK = (0.05, 0.1, 0.2)


def _message() -> messages.EmailMessage:
    return messages.new_signin(
        sender="Safehold <noreply@safehold.test>", to="ann@example.test", device_name="laptop",
        when=datetime(2026, 1, 2, tzinfo=UTC), client_ip="203.0.113.5", base_url="https://vault.test",
    )  # fmt: skip


def _mailer(sink: SmtpSink | int, delays: tuple[float, ...] = QUICK) -> Mailer:
    port = sink if isinstance(sink, int) else sink.port
    return Mailer(SmtpSender("127.0.0.1", port, security="none", timeout=5), sync=False, retry_delays=delays)


def test_a_temporary_refusal_is_tried_again(
    smtp_server: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refusals = ["451 4.3.0 try again later", "421 4.7.0 busy"]
    mailer = _mailer(smtp_server)
    with caplog.at_level(logging.INFO, logger="safehold.server.mail"):
        mailer.send(_message())
        mailer.flush()
    assert smtp_server.attempts == 3 and len(smtp_server.messages) == 1
    assert smtp_server.messages[0]["Subject"] == "New sign-in to your Safehold account"
    assert caplog.text.count("trying again in") == 2 and "sent new_signin mail at attempt 3" in caplog.text
    mailer.close()


def test_a_permanent_refusal_is_not_tried_again(
    smtp_server: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refusals = ["554 5.7.1 rejected"]
    mailer = _mailer(smtp_server)
    mailer.send(_message())
    mailer.flush()
    assert smtp_server.attempts == 1 and smtp_server.messages == []
    assert "could not send new_signin mail" in caplog.text and "trying again" not in caplog.text
    mailer.close()


def test_a_relay_that_comes_back_gets_the_message() -> None:
    port = free_port()
    mailer = _mailer(port, delays=(0.3, 0.6, 1.2))
    mailer.send(_message())  # nothing listens yet: connection refused
    time.sleep(0.1)
    with run_smtp(port) as sink:
        [received] = sink.wait_for(1, timeout=10)
        assert received["To"] == "ann@example.test"
    mailer.close()


def test_giving_up_after_the_last_attempt(smtp_server: SmtpSink, caplog: pytest.LogCaptureFixture) -> None:
    smtp_server.refusals = ["450 mailbox busy"] * 10
    mailer = _mailer(smtp_server, delays=(0.01, 0.01))
    mailer.send(_message())
    mailer.flush()
    assert smtp_server.attempts == 3 and smtp_server.messages == []
    mailer.close()


def test_sync_mode_tries_once(smtp_server: SmtpSink) -> None:
    smtp_server.refusals = ["451 later"]
    mailer = Mailer(SmtpSender("127.0.0.1", smtp_server.port, security="none"), sync=True, retry_delays=QUICK)
    mailer.send(_message())  # returns at once, nothing raised
    assert smtp_server.attempts == 1
    mailer.close()


def test_stopping_does_not_wait_for_a_failing_relay(
    smtp_server: SmtpSink, caplog: pytest.LogCaptureFixture
) -> None:
    smtp_server.refusals = ["451 later"] * 10
    mailer = _mailer(smtp_server, delays=(30.0,))
    mailer.send(_message())
    deadline = time.monotonic() + 5
    while smtp_server.attempts == 0 and time.monotonic() < deadline:
        time.sleep(0.01)
    started = time.monotonic()
    mailer.close(timeout=0.2)
    assert time.monotonic() - started < 5
    assert "1 mail(s) not sent" in caplog.text


@pytest.mark.parametrize(
    ("error", "temporary"),
    [
        (aiosmtplib.SMTPResponseException(451, "later"), True),
        (aiosmtplib.SMTPResponseException(554, "no"), False),
        (aiosmtplib.SMTPConnectError("refused"), True),
        (aiosmtplib.SMTPServerDisconnected("gone"), True),
        (aiosmtplib.SMTPTimeoutError("slow"), True),
        (ConnectionRefusedError(), True),
        (TimeoutError(), True),
        (aiosmtplib.SMTPAuthenticationError(535, "bad password"), False),
        (ssl.SSLCertVerificationError("bad certificate"), False),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(450, "busy", "a@b.c")]), True),
        (aiosmtplib.SMTPRecipientsRefused([aiosmtplib.SMTPRecipientRefused(550, "unknown", "a@b.c")]), False),
        (ValueError("a bug"), False),
    ],
)
def test_which_failures_are_temporary(error: BaseException, temporary: bool) -> None:
    assert is_temporary(error) is temporary
