"""Secrets without the command line, through CliRunner: --field-stdin, --generate with the
generator's options, item JSON on stdin (add - / edit ITEM -), --add-tag/--remove-tag, and
the errors when a prompt is impossible (no terminal). The hidden prompts themselves are
driven through a pseudo-terminal in tests/integration/client/test_cli_prompts.py."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator

import pytest
from tests.unit.cli.conftest import Run
from tests.unit.cli.test_item_cmds import PASSWORD, error, ok

from safehold.client.errors import ExitCode


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    run: Run = functools.partial(cli, password=PASSWORD)
    assert run("A", "signup", "ann@example.com", "--json").exit_code == 0
    yield functools.partial(run, "A")


def test_field_stdin_sets_a_secret_without_its_newline(sh: Run) -> None:
    made = ok(sh("add", "login", "--title", "GitHub", "-f", "username=ann", "--field-stdin", "password",
                 "--json", input="s3cret from a pipe\n"))  # fmt: skip
    assert made["title"] == "GitHub"
    assert sh("get", "GitHub", "--field", "password").stdout == "s3cret from a pipe\n"
    ok(sh("edit", "GitHub", "--field-stdin", "password", input="n3w\n"))
    assert sh("get", "GitHub", "--field", "password").stdout == "n3w\n"
    assert [h["value"] for h in ok(sh("history", "GitHub", "--json", "--reveal"))] == ["s3cret from a pipe"]


def test_field_stdin_after_the_password_line(cli: Run) -> None:
    assert cli("A", "signup", "ann@example.com", "--json", password=PASSWORD).exit_code == 0
    result = cli("A", "add", "login", "--title", "Wiki", "--password-stdin", "--field-stdin", "password",
                 "--json", password=None, input=f"{PASSWORD}\nwiki-pass\n")  # fmt: skip
    assert result.exit_code == 0, result.output
    got = cli("A", "get", "Wiki", "--field", "password", password=PASSWORD)
    assert got.stdout == "wiki-pass\n"


def test_empty_stdin_is_a_usage_error(sh: Run) -> None:
    body = error(sh("add", "login", "--title", "X", "--field-stdin", "password", "--json", input=""),
                 ExitCode.USAGE)  # fmt: skip
    assert "nothing on standard input" in body["message"]
    assert error(sh("list", "--json"), ExitCode.OK) if False else ok(sh("list", "--json")) == []


def test_generate_fills_the_field_and_never_prints_it(sh: Run) -> None:
    made = ok(sh("add", "login", "--title", "Bank", "--generate", "password", "--length", "32",
                 "--no-symbols", "--json"))  # fmt: skip
    value = sh("get", "Bank", "--field", "password").stdout.strip()
    assert len(value) == 32 and value.isalnum()
    assert made["generated"][0]["field"] == "password" and made["generated"][0]["entropy_bits"] > 150
    assert value not in json.dumps(made)
    text = sh("edit", "Bank", "--generate", "password", "--words", "5")
    assert text.exit_code == 0, text.output
    phrase = sh("get", "Bank", "--field", "password").stdout.strip()
    assert phrase.count("-") >= 4 and phrase not in text.stdout  # a few EFF words hold a dash


def test_generator_options_without_generate_are_refused(sh: Run) -> None:
    body = error(sh("add", "login", "--title", "X", "--length", "10", "--json"), ExitCode.USAGE)
    assert "--generate" in body["message"]
    error(sh("add", "login", "--title", "X", "-g", "password", "--length", "3", "--json"), ExitCode.USAGE)
    error(sh("add", "login", "--title", "X", "-g", "password", "--length", "9", "--words", "4", "--json"),
          ExitCode.USAGE)  # fmt: skip
    assert ok(sh("list", "--json")) == []


def test_a_prompt_needs_a_terminal_and_names_the_alternatives(sh: Run) -> None:
    for args in (["-f", "password=?"], ["--prompt", "password"]):
        body = error(sh("add", "login", "--title", "X", *args, "--json"), ExitCode.USAGE)
        assert "not a terminal" in body["message"] and "--field-stdin" in body["hint"]
    assert ok(sh("list", "--json")) == []


def test_an_unknown_field_is_refused_before_any_secret_is_asked(sh: Run) -> None:
    body = error(sh("add", "login", "--title", "X", "--prompt", "pasword", "--json"), ExitCode.USAGE)
    assert "pasword" in body["message"] and "not a terminal" not in body["message"]


def test_add_from_json_on_stdin(sh: Run) -> None:
    item = {"type": "login", "title": "Wiki", "fields": {"username": "ann", "password": "pw1"},
            "custom": [{"name": "PIN", "kind": "hidden", "value": "1234"}], "tags": ["work"],
            "notes": "n", "favorite": True}  # fmt: skip
    made = ok(sh("add", "--json", "-", input=json.dumps(item)))
    assert made["title"] == "Wiki" and made["tags"] == ["work"] and made["favorite"] is True
    got = ok(sh("get", "Wiki", "--json"))
    assert got["fields"]["username"] == "ann" and got["fields"]["password"] == "pw1"
    assert got["custom"] == [{"name": "PIN", "kind": "hidden", "value": "1234"}]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "cannot be read"),
        ("[]", "must be an object"),
        ('{"title": "x"}', "needs a \"type\""),
        ('{"type": "login", "title": "x", "passwrd": "y"}', "keys Safehold does not know: passwrd"),
        ('{"type": "login", "title": "x", "fields": {"pasword": "y"}}', "no field called 'pasword'"),
        ('{"type": "login", "title": "x", "fields": {"password": 3}}', "text value"),
        ('{"type": "nope", "title": "x"}', "no item type called 'nope'"),
    ],
)
def test_bad_item_json_is_a_usage_error(sh: Run, text: str, message: str) -> None:
    body = error(sh("add", "--json", "-", input=text), ExitCode.USAGE)
    assert message in body["message"], body


def test_edit_from_json_merges_and_keeps_history(sh: Run) -> None:
    ok(sh("add", "login", "--title", "GitHub", "-f", "username=ann", "-f", "password=old", "--tag", "a"))
    got = ok(sh("get", "GitHub", "--json"))
    got["fields"]["password"] = "new"
    got["notes"] = "2FA on"
    ok(sh("edit", "GitHub", "--json", "-", input=json.dumps(got)))
    after = ok(sh("get", "GitHub", "--json"))
    assert after["fields"] == {"username": "ann", "password": "new"} and after["notes"] == "2FA on"
    assert [h["value"] for h in after["history"]] == ["old"]
    ok(sh("edit", "GitHub", "-", input='{"title": "GitHub.com"}'))
    assert ok(sh("get", "GitHub.com", "--json"))["fields"]["password"] == "new"
    error(sh("edit", "GitHub.com", "x", "--json"), ExitCode.USAGE)


def test_add_tag_and_remove_tag(sh: Run) -> None:
    ok(sh("add", "login", "--title", "GitHub", "--tag", "a", "--tag", "b"))
    assert ok(sh("edit", "GitHub", "--add-tag", "c", "--add-tag", "A", "--remove-tag", "b", "--json"))[
        "tags"
    ] == ["a", "c"]
    body = error(sh("edit", "GitHub", "--remove-tag", "zzz", "--json"), ExitCode.USAGE)
    assert "no tag 'zzz'" in body["message"]
    error(sh("edit", "GitHub", "--tag", "x", "--add-tag", "y", "--json"), ExitCode.USAGE)
    assert "Replace ALL" in sh("edit", "--help").stdout
