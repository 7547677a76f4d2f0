"""Issue 12 item 10: text that did not come from this program (a server's words, titles and
names from other devices) is printed as plain text: control characters shown, never
obeyed; Rich markup neither interpreted nor able to crash the CLI."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from click.testing import Result
from tests.unit.cli.conftest import Run

from safehold.cli.plain import plain, visible
from safehold.client.transports import test_only_http_transport

#: Sets the window title, clears the screen, an OSC 8 link whose target is not its text, a
#: carriage return that overwrites the line, a bidi override, Rich markup (a link, and an
#: unbalanced closing tag that made the CLI crash).
HOSTILE = (
    "\x1b]0;pwned\x07\x1b[2J\x1b]8;;http://evil.example/\x1b\\bank.example\x1b]8;;\x1b\\"
    "\rreal\u202etxt.exe [link=http://evil.example/]click[/link] [/] [bold]"
)


def _safe(result: Result) -> None:
    out = result.stdout + result.stderr
    assert "Traceback" not in out and "MarkupError" not in out
    for raw in ("\x1b", "\x07", "\r", "\u202e"):
        assert raw not in out
    assert "\\x1b" in out  # shown, not obeyed
    assert "[link=http://evil.example/]" in out and "[/]" in out  # printed as text


def test_visible_and_plain() -> None:
    assert visible("a\x1b[2Jb\tc\nd\u202e\u200de") == "a\\x1b[2Jb\tc\nd\\u202e\u200de"
    assert plain("[bold]x[/]") == "\\[bold]x\\[/]"


@pytest.fixture
def hostile_server(cli: Run) -> Iterator[list[str]]:
    """A server whose every answer carries hostile words (a seam, like httpx's MockTransport:
    the real server refuses such text, a hostile one does not)."""
    seen: list[str] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.path)
        if request.url.path.endswith("/hint"):
            return httpx.Response(202, json={"status": "accepted", "message": HOSTILE})
        return httpx.Response(400, json={"error": {"code": "invalid_request", "message": HOSTILE}})

    # Inside the ``cli`` fixture's own seam (the in-process server), so this one wins.
    with test_only_http_transport(httpx.MockTransport(handle)):
        yield seen


def test_a_servers_error_message_is_shown_not_obeyed(cli: Run, hostile_server: list[str]) -> None:
    result = cli("A", "signup", "ann@example.com")
    assert hostile_server and result.exit_code == 1
    _safe(result)
    as_json = cli("A", "--json", "signup", "ann@example.com")
    assert json.loads(as_json.stdout)["error"]["message"] == HOSTILE  # JSON keeps the exact text


def test_a_servers_hint_answer_is_shown_not_obeyed(cli: Run, hostile_server: list[str]) -> None:
    result = cli("A", "hint", "ann@example.com")
    assert result.exit_code == 0, result.output
    _safe(result)


def test_titles_from_the_vault_are_shown_not_obeyed(cli: Run) -> None:
    assert cli("A", "signup", "ann@example.com").exit_code == 0
    added = cli("A", "--json", "add", "login", "--title", HOSTILE)
    assert added.exit_code == 0, added.output
    item_id = json.loads(added.stdout)["id"]
    for args in (("list",), ("get", item_id), ("rm", item_id), ("trash", "list"), ("get", HOSTILE)):
        result = cli("A", *args, env={"COLUMNS": "1000"})  # no wrapping inside the strings
        _safe(result)
