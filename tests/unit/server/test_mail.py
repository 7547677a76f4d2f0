"""Mail: every template renders both parts; the outbox and SMTP senders deliver."""

from __future__ import annotations

import ssl
from datetime import UTC, datetime
from pathlib import Path

import pytest
from pydantic import ValidationError
from tests.support.aio import run_coroutine
from tests.support.inprocess import make_settings
from tests.support.server import read_eml
from tests.support.smtp import SmtpSink

from safehold.server.mail import messages
from safehold.server.mail.dispatch import Mailer
from safehold.server.mail.sender import OutboxSender, SmtpSender, sender_from_settings

NOW = datetime(2025, 3, 1, 12, 30, tzinfo=UTC)
FROM = "Safehold <safehold@example.test>"


def _all_messages() -> list:  # type: ignore[type-arg]
    return [
        messages.new_signin(
            sender=FROM,
            to="a@example.test",
            device_name="Pixel <b>",
            when=NOW,
            client_ip="203.0.113.5",
            base_url="https://vault.example",
        ),
        messages.hint(sender=FROM, to="a@example.test", hint="x < y", base_url="https://vault.example"),
        messages.reset_requested(
            sender=FROM,
            to="a@example.test",
            link="https://vault.example/reset/TOKEN",
            expires_at=NOW,
            client_ip="203.0.113.5",
            base_url="https://vault.example",
        ),
        messages.reset_done(
            sender=FROM, to="a@example.test", when=NOW, generation=2, base_url="https://vault.example"
        ),
    ]


@pytest.mark.parametrize("message", _all_messages(), ids=lambda m: m["X-Safehold-Template"])
def test_every_mail_has_text_and_html(message) -> None:  # type: ignore[no-untyped-def]
    assert message["Subject"] and message["To"] == "a@example.test"
    plain, html = message.get_body(("plain",)), message.get_body(("html",))
    assert plain is not None and html is not None
    assert "<html" in html.get_content() and "<html" not in plain.get_content()


def test_html_escapes_user_text() -> None:
    signin = _all_messages()[0]
    assert "Pixel &lt;b&gt;" in signin.get_body(("html",)).get_content()
    assert "Pixel <b>" in signin.get_body(("plain",)).get_content()


def test_reset_mail_subject_and_link() -> None:
    reset = _all_messages()[2]
    assert reset["Subject"] == "Password reset for Safehold"
    assert '<a href="https://vault.example/reset/TOKEN">here</a>' in reset.get_body(("html",)).get_content()
    assert "https://vault.example/reset/TOKEN" in reset.get_body(("plain",)).get_content()


def test_outbox_never_logs_the_links_it_wrote(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="safehold.server.mail")
    sender = OutboxSender(tmp_path / "outbox")
    run_coroutine(sender.send(_all_messages()[2]))
    [path] = list((tmp_path / "outbox").glob("*.eml"))
    assert read_eml(path)["Subject"] == "Password reset for Safehold"
    body = read_eml(path).get_body(preferencelist=("plain",))
    assert body is not None and "https://vault.example/reset/TOKEN" in body.get_content()
    # A reset link is a token: the log names the file, never the link.
    assert str(path) in caplog.text
    assert "TOKEN" not in caplog.text


def test_smtp_sender_delivers_to_a_real_smtp_server(smtp_server: SmtpSink) -> None:
    sender = SmtpSender(smtp_server.host, smtp_server.port, security="none")
    run_coroutine(sender.send(_all_messages()[3]))
    [received] = smtp_server.wait_for(1)
    assert received["Subject"] == "Your Safehold account was reset"
    assert received.get_body(("html",)) is not None


def test_mailer_sends_in_the_background_and_flush_waits(tmp_path: Path) -> None:
    mailer = Mailer(OutboxSender(tmp_path), sync=False)
    for message in _all_messages():
        mailer.send(message)
    mailer.flush()
    assert len(list(tmp_path.glob("*.eml"))) == 4
    mailer.close()


def test_mailer_survives_a_failing_sender() -> None:
    mailer = Mailer(SmtpSender("127.0.0.1", 1, security="none", timeout=2), sync=True)
    mailer.send(_all_messages()[0])  # logged, not raised
    mailer.close()


def test_sender_follows_the_settings(tmp_path: Path) -> None:
    assert isinstance(sender_from_settings(make_settings(tmp_path)), OutboxSender)
    smtp = sender_from_settings(make_settings(tmp_path, smtp_host="mail.example", smtp_security="tls"))
    assert isinstance(smtp, SmtpSender) and smtp.security == "tls" and smtp.port == 587


@pytest.mark.parametrize("to", ["nl@x.y\nBcc: e@x.y", "a@b.c <evil@x.y>", "x,y@z.w", "nul\x00@x.y", ""])
def test_a_bad_recipient_is_dropped_not_raised(
    to: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    message = messages.new_signin(
        sender=FROM, to=to, device_name="d", when=NOW, client_ip="203.0.113.5", base_url="https://v"
    )
    assert message[messages.UNDELIVERABLE] == "bad-address" and message["To"] is None
    assert "e@x.y" not in str(message["Bcc"] or "")
    mailer = Mailer(OutboxSender(tmp_path), sync=True)
    mailer.send(message)
    mailer.close()
    assert list(tmp_path.glob("*.eml")) == []
    assert "not sending new_signin mail" in caplog.text


def test_recipients_are_normalised() -> None:
    message = messages.hint(sender=FROM, to=" Ann@Example.TEST ", hint="h", base_url="https://v")
    assert message["To"] == "ann@example.test" and message[messages.UNDELIVERABLE] is None


def test_sender_takes_the_tls_settings(tmp_path: Path) -> None:
    smtp = sender_from_settings(make_settings(tmp_path, smtp_host="mail.example", smtp_verify=False))
    assert isinstance(smtp, SmtpSender) and smtp.ca_file is None and smtp.verify is False
    context = smtp.tls_context()
    assert context.verify_mode == ssl.CERT_NONE and not context.check_hostname
    strict = SmtpSender("mail.example", 465, security="tls").tls_context()
    assert strict.verify_mode == ssl.CERT_REQUIRED and strict.check_hostname


def test_a_missing_ca_file_is_a_settings_error(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="smtp_ca_file"):
        make_settings(tmp_path, smtp_host="mail.example", smtp_ca_file=tmp_path / "missing.pem")
