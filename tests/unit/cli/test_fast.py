"""Which command lines the fast path takes (and which it leaves to the full CLI)."""

from __future__ import annotations

import pytest

from safehold.cli.fast import answer, parse


@pytest.mark.parametrize(
    ("argv", "wanted"),
    [
        (
            ["get", "GitHub", "--field", "password"],
            {"what": "field", "item": "GitHub", "field": "password", "raw": False},
        ),
        (
            ["get", "-f", "otp", "Bank", "--raw"],
            {"what": "field", "item": "Bank", "field": "otp", "raw": True},
        ),
        (
            ["get", "GitHub", "--field=user name"],
            {"what": "field", "item": "GitHub", "field": "user name", "raw": False},
        ),
        (["list", "--json"], {"what": "list"}),
        (["totp", "Bank"], {"what": "totp", "item": "Bank"}),
    ],
)
def test_reads_it_takes(argv: list[str], wanted: dict[str, object]) -> None:
    assert parse(argv) == wanted


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["get"],
        ["get", "GitHub"],
        ["get", "GitHub", "--field"],
        ["get", "GitHub", "--field", "p", "--json"],
        ["get", "GitHub", "--field", "p", "--copy"],
        ["get", "A", "B", "--field", "p"],
        ["get", "--url", "https://x", "--field", "p"],
        ["list"],
        ["list", "--json", "--type", "login"],
        ["totp", "Bank", "--copy"],
        ["totp"],
        ["--home", "x", "get", "A", "-f", "p"],
        ["add", "login"],
        ["get", "A", "-f", "p", "--password-stdin"],
    ],
)
def test_everything_else_goes_to_the_full_cli(argv: list[str]) -> None:
    assert parse(argv) is None


def test_scripted_password_or_switched_off_means_no_fast_path() -> None:
    argv = ["get", "GitHub", "--field", "password"]
    assert answer(argv, {"SAFEHOLD_PASSWORD": "x"}) is None
    assert answer(argv, {"SAFEHOLD_FAST": "0"}) is None
