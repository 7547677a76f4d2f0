"""Helpers shared by the browser tests (the fixtures are in conftest.py)."""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any, NoReturn
from urllib.parse import urlsplit

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"


@dataclass
class Inbox:
    """Messages the SMTP server received, parsed."""

    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def wait_for(self, to: str, subject: str, timeout: float = 20.0, after: int = 0) -> EmailMessage:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self.lock:
                for msg in self.messages[after:]:
                    if to.lower() in str(msg["To"]).lower() and msg["Subject"] == subject:
                        return msg
            time.sleep(0.05)
        raise AssertionError(f"no mail {subject!r} to {to} within {timeout} s")

    def count(self) -> int:
        with self.lock:
            return len(self.messages)


def link_named_here(msg: EmailMessage) -> str:
    """The href of the HTML part's link whose text is "here" (also in the plain part)."""
    html = msg.get_body(preferencelist=("html",))
    assert html is not None, "the mail has no HTML part"
    found = re.findall(r'<a\s+href="([^"]+)"\s*>\s*here\s*</a>', html.get_content())
    assert len(found) == 1, "expected exactly one link with the text 'here'"
    plain = msg.get_body(preferencelist=("plain",))
    assert plain is not None, "the mail has no plain-text part"
    assert found[0] in plain.get_content(), "the plain-text part carries the same link"
    return str(found[0])


@dataclass
class PageLog:
    """Everything a page asked for, and what went wrong in it."""

    requests: list[Any] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def screenshot(pg: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    pg.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def only_server_hosts(log: PageLog, base_url: str) -> None:
    """Every request the page made went to the server (or stayed in the page: data:, blob:)."""
    allowed = urlsplit(base_url).netloc
    for request in log.requests:
        parts = urlsplit(request.url)
        if parts.scheme in ("data", "blob"):
            continue
        assert parts.netloc == allowed, f"the page asked another host: {request.url}"


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in ("1", "true", "yes")


def missing_browser(reason: str) -> NoReturn:
    """Skip on a developer's machine; under CI (``CI=true``) a missing browser is a failure,
    so a broken CI image cannot turn the browser tests into silent skips."""
    if in_ci():
        pytest.fail(f"CI=true and {reason}: the browser tests must run in CI", pytrace=False)
    pytest.skip(reason)
