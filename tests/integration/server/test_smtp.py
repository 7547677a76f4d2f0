"""Mail over real SMTP: the server talks to an aiosmtpd server."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import aiosmtplib
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from tests.support.accounts import TestAccount, signin, signup
from tests.support.aio import run_coroutine
from tests.support.server import free_port, run_server
from tests.support.smtp import SmtpSink

from safehold import wire
from safehold.server.mail import messages
from safehold.server.mail.sender import SmtpSender

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


# --- TLS and AUTH ----------------------------------------------------------------------
#
# A self-signed certificate made here, an aiosmtpd server that requires it (STARTTLS on a
# plain port, or TLS from the first byte) and a login, and the server's own sender
# trusting that certificate through SAFEHOLD_SMTP_CA_FILE.

SMTP_USER, SMTP_PASSWORD = "mailer", "smtp-pass-4471"


def _self_signed(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "smtp-cert.pem", folder / "smtp-key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_path, key_path


@dataclass
class _Logins:
    seen: list[tuple[str, str]] = field(default_factory=list)

    def __call__(self, _server: Any, _session: Any, _envelope: Any, mechanism: str, data: Any) -> AuthResult:
        if not isinstance(data, LoginPassword):
            return AuthResult(success=False, handled=False)
        login, password = bytes(data.login).decode(), bytes(data.password).decode()
        self.seen.append((mechanism, login))
        # handled=False: aiosmtpd answers 535 itself (with the default, it answers nothing).
        return AuthResult(success=(login, password) == (SMTP_USER, SMTP_PASSWORD), handled=False)


@contextmanager
def _tls_smtp(tmp_path: Path, security: str) -> Iterator[tuple[SmtpSink, _Logins, Path]]:
    cert, key = _self_signed(tmp_path)
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    port = free_port()
    sink, logins = SmtpSink("127.0.0.1", port), _Logins()
    # aiosmtpd only counts a STARTTLS upgrade as "TLS" for AUTH; on an implicit-TLS port
    # every byte is encrypted already.
    # PLAIN only: aiosmtplib would otherwise retry a refused login with LOGIN and wait.
    common: dict[str, Any] = {
        "authenticator": logins,
        "auth_require_tls": security == "starttls",
        "auth_exclude_mechanism": ["LOGIN"],
    }
    if security == "starttls":
        controller = Controller(
            sink, hostname="127.0.0.1", port=port, tls_context=context, require_starttls=True, **common
        )
    else:
        controller = Controller(
            sink, hostname="127.0.0.1", port=port, ssl_context=context, server_hostname="localhost", **common
        )
    controller.start()
    try:
        yield sink, logins, cert
    finally:
        controller.stop()


def _signin_mail(message_to: str) -> EmailMessage:
    return messages.new_signin(
        sender="Safehold <safehold@example.test>",
        to=message_to,
        device_name="TLS phone",
        when=datetime.now(UTC),
        client_ip="203.0.113.9",
        base_url="https://vault.example",
    )


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_sender_speaks_tls_and_logs_in(tmp_path: Path, security: str) -> None:
    with _tls_smtp(tmp_path, security) as (sink, logins, cert):
        sender = SmtpSender(
            "127.0.0.1",
            sink.port,
            security=security,
            user=SMTP_USER,
            password=SMTP_PASSWORD,
            ca_file=cert,
            timeout=10,
        )
        run_coroutine(sender.send(_signin_mail("tls@example.test")))
        [received] = sink.wait_for(1)
        assert received["To"] == "tls@example.test"
        assert [login for _, login in logins.seen] == [SMTP_USER]


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_sender_refuses_an_untrusted_certificate(tmp_path: Path, security: str) -> None:
    with _tls_smtp(tmp_path, security) as (sink, logins, _cert):
        sender = SmtpSender("127.0.0.1", sink.port, security=security, user=SMTP_USER, password=SMTP_PASSWORD)
        with pytest.raises((aiosmtplib.SMTPException, ssl.SSLError, OSError)):
            run_coroutine(sender.send(_signin_mail("tls@example.test")))
        assert sink.messages == [] and logins.seen == []  # the password never left


def test_a_wrong_smtp_password_sends_nothing(tmp_path: Path) -> None:
    with _tls_smtp(tmp_path, "starttls") as (sink, _logins, cert):
        sender = SmtpSender(
            "127.0.0.1",
            sink.port,
            security="starttls",
            user=SMTP_USER,
            password="wrong",
            ca_file=cert,
            timeout=10,
        )
        with pytest.raises(aiosmtplib.SMTPAuthenticationError):
            run_coroutine(sender.send(_signin_mail("tls@example.test")))
        assert sink.messages == []


@pytest.mark.parametrize("security", ["starttls", "tls"])
def test_the_server_mails_over_tls_with_auth(tmp_path: Path, security: str) -> None:
    with _tls_smtp(tmp_path, security) as (sink, logins, cert):
        env = {
            "SAFEHOLD_SMTP_HOST": "127.0.0.1",
            "SAFEHOLD_SMTP_PORT": str(sink.port),
            "SAFEHOLD_SMTP_SECURITY": security,
            "SAFEHOLD_SMTP_USER": SMTP_USER,
            "SAFEHOLD_SMTP_PASSWORD": SMTP_PASSWORD,
            "SAFEHOLD_SMTP_CA_FILE": str(cert),
            "SAFEHOLD_SMTP_FROM": "Safehold <safehold@example.test>",
        }
        with run_server(tmp_path, extra_env=env) as server, server.client() as http:
            account = TestAccount.new()
            signup(http, account)
            signin(http, account, device_name="Travel tablet")
            [received] = sink.wait_for(1)
            assert received["Subject"] == "New sign-in to your Safehold account"
            assert received["To"] == account.email
            assert logins.seen and all(login == SMTP_USER for _, login in logins.seen)
            assert SMTP_PASSWORD not in server.log_text()
