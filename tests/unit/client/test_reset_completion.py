"""Reading the reset link the CLI completes a reset from."""

from __future__ import annotations

import pytest

from safehold.client.errors import UsageError
from safehold.client.reset_completion import parse_link

TOKEN = "AbCdEfGhIjKlMnOpQrStUvWxYz_-0123"


@pytest.mark.parametrize(
    ("url", "server"),
    [
        (f"https://vault.example.com/reset/{TOKEN}", "https://vault.example.com"),
        (f"http://127.0.0.1:8000/reset/{TOKEN}/", "http://127.0.0.1:8000"),
        (f"  https://example.com/safehold/reset/{TOKEN}\n", "https://example.com/safehold"),
    ],
)
def test_a_link_gives_the_server_and_the_token(url: str, server: str) -> None:
    link = parse_link(url)
    assert link.server == server and link.token == TOKEN


@pytest.mark.parametrize(
    "url",
    ["", "vault.example.com/reset/" + TOKEN, "https://vault.example.com/reset/", "ftp://h/reset/" + TOKEN,
     "https://vault.example.com/reset/short", "https://vault.example.com/other/" + TOKEN],
)  # fmt: skip
def test_anything_else_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError):
        parse_link(url)
