"""One function per email. Each email is a folder under ``templates/`` with
``subject.txt``, ``body.txt`` and ``body.html`` (Jinja2); every message carries both a
plain-text and an HTML part.

Rendering never fails on the recipient: an address that cannot go in a ``To`` header (one
stored before the wire checked addresses, say with a line break in it) gives a message
marked :data:`UNDELIVERABLE` without a ``To``, which the dispatcher logs and drops; the
request that caused the mail still succeeds.
"""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from safehold import wire

#: Header set on a message whose recipient address cannot be used.
UNDELIVERABLE = "X-Safehold-Undeliverable"

_env = Environment(
    loader=PackageLoader("safehold.server.mail", "templates"),
    autoescape=select_autoescape(enabled_extensions=("html",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
)


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def render(name: str, *, sender: str, to: str, **context: Any) -> EmailMessage:
    subject = _env.get_template(f"{name}/subject.txt").render(**context).strip()
    text = _env.get_template(f"{name}/body.txt").render(**context)
    html = _env.get_template(f"{name}/body.html").render(**context)
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = sender
    try:
        message["To"] = wire.clean_email(to)
    except ValueError:  # the header registry raises ValueError too, on a line break
        message[UNDELIVERABLE] = "bad-address"
    message["Date"] = formatdate(localtime=False, usegmt=True)
    message["Message-ID"] = make_msgid(domain="safehold.local")
    message["X-Safehold-Template"] = name
    message.set_content(text)
    message.add_alternative(html, subtype="html")
    return message


def new_signin(
    *, sender: str, to: str, device_name: str, when: datetime, client_ip: str, base_url: str
) -> EmailMessage:
    return render(
        "new_signin",
        sender=sender,
        to=to,
        device_name=device_name,
        when=_when(when),
        client_ip=client_ip,
        base_url=base_url,
    )


def hint(*, sender: str, to: str, hint: str, base_url: str) -> EmailMessage:
    return render("hint", sender=sender, to=to, hint=hint, base_url=base_url)


def reset_requested(
    *, sender: str, to: str, link: str, expires_at: datetime, client_ip: str, base_url: str
) -> EmailMessage:
    return render(
        "reset_requested",
        sender=sender,
        to=to,
        link=link,
        expires_at=_when(expires_at),
        client_ip=client_ip,
        base_url=base_url,
    )


def reset_done(*, sender: str, to: str, when: datetime, generation: int, base_url: str) -> EmailMessage:
    return render(
        "reset_done", sender=sender, to=to, when=_when(when), generation=generation, base_url=base_url
    )


def recovery_requested(
    *, sender: str, to: str, link: str, expires_at: datetime, client_ip: str, base_url: str, has_code: bool
) -> EmailMessage:
    return render(
        "recovery_requested",
        sender=sender,
        to=to,
        link=link,
        expires_at=_when(expires_at),
        client_ip=client_ip,
        base_url=base_url,
        has_code=has_code,
    )


def recovery_used(*, sender: str, to: str, when: datetime, client_ip: str, base_url: str) -> EmailMessage:
    return render(
        "recovery_used", sender=sender, to=to, when=_when(when), client_ip=client_ip, base_url=base_url
    )


def recovery_code_changed(
    *, sender: str, to: str, when: datetime, removed: bool, base_url: str
) -> EmailMessage:
    return render(
        "recovery_code_changed", sender=sender, to=to, when=_when(when), removed=removed, base_url=base_url
    )


def reset_scheduled(
    *, sender: str, to: str, when: datetime, client_ip: str, effective_at: datetime, base_url: str
) -> EmailMessage:
    return render(
        "reset_scheduled", sender=sender, to=to, when=_when(when), client_ip=client_ip,
        effective_at=_when(effective_at), base_url=base_url,
    )  # fmt: skip


def reset_cancelled(
    *, sender: str, to: str, requested_at: datetime, when: datetime, client_ip: str, base_url: str,
    because: str | None = None,
) -> EmailMessage:
    """``because``: why it was cancelled when not by `reset --cancel` (the owner proved the
    password and key some other way: a password change, a new key, a recovery)."""
    return render(
        "reset_cancelled", sender=sender, to=to, requested_at=_when(requested_at), when=_when(when),
        client_ip=client_ip, base_url=base_url, because=because,
    )  # fmt: skip


def verify_address(*, sender: str, to: str, link: str, expires_at: datetime, base_url: str) -> EmailMessage:
    return render(
        "verify_address", sender=sender, to=to, link=link, expires_at=_when(expires_at), base_url=base_url
    )
