"""``safehold import`` through the CLI: the summary and --json, re-import updates instead of
duplicating, --dry-run writes nothing, --tag, error paths with their exit codes, and the
round trips export → import (safehold-json into a fresh account: identical items;
bitwarden-json back through our importer: the same fields)."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.unit.cli.conftest import Run, as_json

from safehold.client.errors import ExitCode

PASSWORD = "maple quartz lantern 48 orbit"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"
ENV = {"SAFEHOLD_BACKUP_EVERY": "0"}


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    run: Run = functools.partial(cli, password=PASSWORD, env=ENV)
    assert run("A", "signup", "ann@example.com", "--json").exit_code == 0
    yield functools.partial(run, "A")


def _items(run: Run) -> dict[str, dict[str, Any]]:
    return {e["title"]: as_json(run("get", e["id"], "--json")) for e in as_json(run("list", "--json"))}


def test_import_summary_reimport_and_dry_run(sh: Run) -> None:
    dry = as_json(sh("import", str(FIXTURES / "bitwarden.json"), "--dry-run", "--json"))
    assert dry["imported"] == 5 and dry["dry_run"] is True
    assert as_json(sh("list", "--json")) == []
    first = sh("import", str(FIXTURES / "bitwarden.json"), "--tag", "from-bw", "--json")
    assert first.exit_code == 0, first.output
    summary = as_json(first)
    assert summary["format"] == "bitwarden-json" and summary["imported"] == 5 and summary["updated"] == 0
    assert [s["source"] for s in summary["skipped"]] == ["item 6", "item 7 'Bad'"]
    assert len(summary["items"]) == 5
    assert any(m["title"] == "GitHub" and "Team" in m["fields"] for m in summary["moved_to_custom"])
    items = _items(sh)
    assert items["GitHub"]["tags"] == ["Work", "from-bw"]
    again = as_json(sh("import", str(FIXTURES / "bitwarden.json"), "--tag", "from-bw", "--json"))
    assert again["imported"] == 0 and again["unchanged"] == 5
    assert len(as_json(sh("list", "--json"))) == 5


def test_a_changed_source_updates_in_place_and_keeps_the_old_password(sh: Run, tmp_path: Path) -> None:
    source = tmp_path / "chrome.csv"
    source.write_text("name,url,username,password,note\nSite,https://site.example,ann,first,\n")
    assert as_json(sh("import", str(source), "--json"))["imported"] == 1
    source.write_text("name,url,username,password,note\nSite,https://site.example,ann,second,\n")
    again = as_json(sh("import", str(source), "--json"))
    assert again["updated"] == 1 and again["imported"] == 0
    item = _items(sh)["Site"]
    assert item["fields"]["password"] == "second"
    assert [h["value"] for h in item["history"]] == ["first"]


def test_errors_have_their_own_messages(sh: Run, tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("a,b\n1,2\n")
    result = sh("import", str(odd), "--json")
    assert result.exit_code == ExitCode.USAGE and "--from" in as_json(result)["error"]["message"]
    result = sh("import", str(tmp_path / "missing.json"), "--json")
    assert result.exit_code == ExitCode.USAGE and "no such file" in as_json(result)["error"]["message"]
    truncated = tmp_path / "t.json"
    truncated.write_bytes((FIXTURES / "bitwarden.json").read_bytes()[:300])
    result = sh("import", str(truncated), "--json")
    assert result.exit_code == ExitCode.USAGE and "truncated" in as_json(result)["error"]["message"]


def test_round_trip_through_safehold_json_into_a_fresh_account(sh: Run, cli: Run, tmp_path: Path) -> None:
    assert sh("import", str(FIXTURES / "bitwarden.json")).exit_code == 0
    assert (
        sh("add", "login", "--title", "Extra", "-f", "password=p", "--custom", "Note:hidden=x").exit_code == 0
    )
    target = tmp_path / "all.json"
    assert sh("export", str(target), "-F", "safehold-json", "--yes").exit_code == 0
    other: Run = functools.partial(cli, "B", password=PASSWORD, env=ENV)
    assert other("signup", "bob@example.com", "--json").exit_code == 0
    assert as_json(other("import", str(target), "--json"))["imported"] == 6
    mine, theirs = _items(sh), _items(other)
    for title, item in mine.items():
        got = dict(theirs[title])
        for key in ("id", "import_source"):
            got.pop(key, None)
            item.pop(key, None)
        assert got == item, title


def test_round_trip_through_bitwarden_json(sh: Run, cli: Run, tmp_path: Path) -> None:
    added = sh("add", "login", "--title", "GitHub", "-f", "username=ann", "-f", "password=pw",
               "-f", "website=https://github.com", "--tag", "work", "--custom", "PIN:hidden=1234")
    assert added.exit_code == 0
    assert sh("add", "credit card", "--title", "Visa", "-f", "number=4111111111111111").exit_code == 0
    target = tmp_path / "bw.json"
    assert sh("export", str(target), "-F", "bitwarden-json", "--yes").exit_code == 0
    other: Run = functools.partial(cli, "B", password=PASSWORD, env=ENV)
    assert other("signup", "bob@example.com", "--json").exit_code == 0
    assert as_json(other("import", str(target), "--json"))["imported"] == 2
    back = _items(other)
    assert back["GitHub"]["fields"] == {"username": "ann", "password": "pw", "website": "https://github.com"}
    assert back["GitHub"]["tags"] == ["work"]
    assert {"name": "PIN", "kind": "hidden", "value": "1234"} in back["GitHub"]["custom"]
    assert back["Visa"]["fields"]["card_number"] == "4111111111111111"
