"""Fixtures for the browser tests: a real server on a real port, a real SMTP server
(aiosmtpd) that keeps what it receives, and Debian's Chromium driven by Playwright.

Without Chromium or Playwright the browser tests are skipped, except under CI (``CI=true``),
where they fail (``_browser.missing_browser``).

Each test starts the servers it needs with its own settings (a short reset-link lifetime,
a tight rate limit) through ``tests/support/server.py``.
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import importlib
from collections.abc import Callable, Iterator
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from tests.e2e._browser import CHROMIUM, CHROMIUM_ARGS, Inbox, PageLog, missing_browser
from tests.support.server import ServerHandle, free_port, run_server


@pytest.fixture
def smtp_inbox() -> Iterator[tuple[Inbox, int]]:
    from aiosmtpd.controller import Controller

    inbox = Inbox()

    class Handler:
        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
            assert isinstance(msg, EmailMessage)
            with inbox.lock:
                inbox.messages.append(msg)
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def start_server(tmp_path: Path, smtp_inbox: tuple[Inbox, int]) -> Iterator[Callable[..., ServerHandle]]:
    """Start ``safehold-server serve`` (tests/support/server.py) with mail going to the
    SMTP fixture; keyword arguments become ``SAFEHOLD_*`` settings. Stopped after the test."""
    with contextlib.ExitStack() as stack:

        def start(**settings: Any) -> ServerHandle:
            env = {
                "SAFEHOLD_REQUEST_LIMIT_PER_ADDRESS": "20",
                "SAFEHOLD_REQUEST_LIMIT_PER_CLIENT": "50",
            }
            env.update({f"SAFEHOLD_{name.upper()}": str(value) for name, value in settings.items()})
            return stack.enter_context(run_server(tmp_path, smtp_port=smtp_inbox[1], extra_env=env))

        yield start


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        missing_browser("Debian's chromium is missing at /usr/bin/chromium (apt-get install -y chromium)")
    try:
        playwright_api = importlib.import_module("playwright.sync_api")
    except ImportError:
        missing_browser("Playwright's Python package is missing (pip install playwright)")
    with playwright_api.sync_playwright() as p:
        instance = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield instance
        finally:
            instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[tuple[Any, PageLog]]:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1100, "height": 900})
    pg = context.new_page()
    log = PageLog()
    pg.on("request", lambda request: log.requests.append(request))
    pg.on("pageerror", lambda err: log.problems.append(f"page error: {err}"))

    def console(msg: Any) -> None:
        # A CSP violation is reported as a console error; so are failed loads.
        if msg.type == "error":
            log.problems.append(f"console: {msg.text}")

    pg.on("console", console)
    try:
        yield pg, log
    finally:
        context.close()
