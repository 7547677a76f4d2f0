"""The reads people of other CLIs reach for, through CliRunner: search QUERY, get --url by
host, get --field otp (the code; --raw the secret), totp --copy and get --copy naming the
field by its label, history masked unless --reveal."""

from __future__ import annotations

import functools
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.cli.conftest import Run
from tests.unit.cli.test_item_cmds import PASSWORD, error, fake_clipboard, ok

from safehold.client.errors import ExitCode
from safehold.client.items import totp_code
from safehold.client.items.urls import host_of, url_match

__all__ = ["fake_clipboard"]  # the fixture, used below
SECRET = "JBSWY3DPEHPK3PXP"


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    run: Run = functools.partial(cli, password=PASSWORD)
    assert run("A", "signup", "ann@example.com", "--json").exit_code == 0
    a = functools.partial(run, "A")
    ok(a("add", "login", "--title", "GitHub", "-f", "username=ann", "-f", "url=https://github.com/login",
         "--field-stdin", "password", "--custom", f"otp:totp={SECRET}", input="gh-pw"))  # fmt: skip
    ok(a("add", "login", "--title", "Gist", "-f", "url=gist.github.com", "--field-stdin", "password",
         input="g"))  # fmt: skip
    ok(a("add", "login", "--title", "Bank", "-f", "url=https://www.bank.example:8443/x",
         "--custom", "Old site:url=https://bank-old.example"))  # fmt: skip
    yield a


def test_host_matching_rules() -> None:
    assert host_of("https://WWW.GitHub.com:443/login?x=1") == "github.com"
    assert host_of("github.com/path") == "github.com"
    assert host_of("  ") is None and host_of("https://") is None
    item = {"type": "login", "fields": {"website": "https://github.com"}}
    assert url_match(item, "https://github.com/login") == 2
    assert url_match(item, "https://gist.github.com/") == 1
    assert url_match(item, "https://notgithub.com/") == 0
    assert url_match({"type": "login", "fields": {"website": "gist.github.com"}}, "https://github.com") == 0


def test_get_by_url(sh: Run) -> None:
    assert ok(sh("get", "--url", "https://github.com/settings", "--field", "password")) == "gh-pw\n"
    # The exact host wins over the parent domain.
    assert ok(sh("get", "--url", "https://gist.github.com/ann", "--field", "password")) == "g\n"
    assert ok(sh("get", "--url", "http://bank.example/login", "--json"))["title"] == "Bank"
    assert ok(sh("get", "--url", "bank-old.example", "--json"))["title"] == "Bank"  # a custom url field
    assert "no item is saved for nothing.example" in error(
        sh("get", "--url", "https://nothing.example", "--json"), ExitCode.NOT_FOUND)["message"]  # fmt: skip
    error(sh("get", "--url", "https://", "--json"), ExitCode.USAGE)
    error(sh("get", "GitHub", "--url", "https://github.com", "--json"), ExitCode.USAGE)


def test_search_is_positional_and_says_when_nothing_matches(sh: Run) -> None:
    assert [i["title"] for i in ok(sh("search", "git", "--json"))] == ["Gist", "GitHub"]
    assert ok(sh("search", "gh-pw", "--json")) == []  # never a hidden value
    assert "No items match 'zzz' (3 in the vault)." in sh("search", "zzz").stdout


def test_otp_field_prints_the_code_and_raw_the_secret(sh: Run) -> None:
    before = totp_code(SECRET).code
    code = ok(sh("get", "GitHub", "--field", "otp")).strip()
    assert code in (before, totp_code(SECRET).code)
    assert ok(sh("get", "GitHub", "--field", "otp", "--raw")) == f"{SECRET}\n"
    body = ok(sh("get", "GitHub", "--field", "otp", "--json"))
    assert body["label"] == "otp" and body["value"].isdigit()


def test_copy_names_the_field_by_its_label(sh: Run, fake_clipboard: Path) -> None:
    env = {"SAFEHOLD_CLIPBOARD_CLEAR": "0.2"}
    assert ok(sh("get", "GitHub", "--copy", "--json", env=env))["copied"] == "Password"
    assert fake_clipboard.read_text() == "gh-pw"
    assert ok(sh("get", "GitHub", "--field", "username", "--copy", "--json", env=env))["copied"] == "Username"
    text = sh("totp", "GitHub", "--copy", env=env)
    assert text.exit_code == 0 and "Copied one-time password of 'GitHub'" in text.stdout
    assert fake_clipboard.read_text().isdigit() and fake_clipboard.read_text() not in text.stdout
    time.sleep(0.5)


def test_history_is_masked_unless_revealed(sh: Run) -> None:
    ok(sh("edit", "GitHub", "--field-stdin", "password", input="newer"))
    assert ok(sh("history", "GitHub", "--json"))[0]["value"] is None
    assert ok(sh("history", "GitHub", "--json", "--reveal"))[0]["value"] == "gh-pw"
    table = sh("history", "GitHub")
    assert "gh-pw" not in table.stdout and "--reveal shows them" in table.stderr
    assert "gh-pw" in sh("history", "GitHub", "--reveal").stdout
