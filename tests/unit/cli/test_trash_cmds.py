"""The trash through the real CLI: rm moves an item there (hidden from list, get, search),
synced to other devices; restore, empty, rm --purge; items older than 30 days purged."""

from __future__ import annotations

import functools
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.unit.cli.conftest import EMAIL, Run, service
from tests.unit.cli.test_item_cmds import PASSWORD, error, ok

from safehold.client.errors import ExitCode


@pytest.fixture
def two(cli: Run) -> Iterator[tuple[Run, Run]]:
    run: Run = functools.partial(cli, password=PASSWORD)
    made = ok(run("A", "signup", EMAIL, "--json"))
    ok(run("B", "login", EMAIL, "--account-key", made["account_key"], "--json"))
    yield functools.partial(run, "A"), functools.partial(run, "B")


def test_rm_moves_to_the_trash_on_every_device_and_restore_brings_it_back(two: tuple[Run, Run]) -> None:
    a, b = two
    added = ok(a("add", "login", "--title", "Router", "-f", "username=admin", "--json"))
    ok(a("sync"))
    ok(b("sync"))
    gone = ok(a("rm", "Router", "--json"))
    assert gone == {"deleted": added["id"], "title": "Router", "trashed": True, "purge_after_days": 30}
    assert ok(a("list", "--json")) == []
    error(a("get", "Router", "--json"), ExitCode.NOT_FOUND)
    error(a("get", added["id"], "--json"), ExitCode.NOT_FOUND)
    assert ok(a("search", "admin", "--json")) == []
    (entry,) = ok(a("trash", "list", "--json"))
    assert entry["id"] == added["id"] and entry["title"] == "Router" and entry["trashed_at"]
    # The trash syncs: B sees the item in its trash, not in its list.
    ok(a("sync"))
    ok(b("sync"))
    assert ok(b("list", "--json")) == []
    assert [e["title"] for e in ok(b("trash", "list", "--json"))] == ["Router"]
    assert ok(b("trash", "restore", "Router", "--json")) == {"restored": added["id"], "title": "Router"}
    error(b("trash", "restore", "Router", "--json"), ExitCode.NOT_FOUND)  # no longer in the trash
    ok(b("sync"))
    ok(a("sync"))
    assert [i["title"] for i in ok(a("list", "--json"))] == ["Router"]
    assert ok(a("get", "Router", "--field", "username")) == "admin\n"
    assert ok(a("trash", "list", "--json")) == []
    assert "The trash is empty." in a("trash", "list").stdout


def test_empty_and_purge_delete_for_good(two: tuple[Run, Run]) -> None:
    a, _ = two
    for title in ("One", "Two", "Three"):
        ok(a("add", "login", "--title", title))
    ok(a("rm", "One"))
    ok(a("rm", "Two"))
    assert "--yes" in error(a("trash", "empty", "--json"), ExitCode.USAGE)["message"]
    assert len(ok(a("trash", "list", "--json"))) == 2
    assert [p["title"] for p in ok(a("trash", "empty", "--yes", "--json"))["purged"]] == ["One", "Two"]
    assert ok(a("trash", "list", "--json")) == []
    assert ok(a("rm", "Three", "--purge", "--json"))["trashed"] is False
    assert ok(a("trash", "list", "--json")) == [] and ok(a("list", "--json")) == []
    # rm --purge also takes an item already in the trash.
    ok(a("add", "login", "--title", "Four"))
    ok(a("rm", "Four"))
    ok(a("rm", "Four", "--purge"))
    assert ok(a("trash", "list", "--json")) == []


def test_items_trashed_30_days_ago_are_purged(two: tuple[Run, Run], tmp_path: Path) -> None:
    a, _ = two
    old = ok(a("add", "login", "--title", "Old", "--json"))["id"]
    recent = ok(a("add", "login", "--title", "Recent", "--json"))["id"]
    now = datetime.now(UTC)
    unlocked = service(tmp_path, "A").unlock(PASSWORD, online=False)
    try:
        vault = unlocked.vault
        for item_id, days in ((old, 31), (recent, 29)):
            stored = vault.get(item_id)
            assert stored is not None
            vault.move_to_trash(stored, now - timedelta(days=days))
    finally:
        unlocked.close()
    assert [e["title"] for e in ok(a("trash", "list", "--json"))] == ["Recent"]
    unlocked = service(tmp_path, "A").unlock(PASSWORD, online=False)
    try:
        assert unlocked.vault.get(old) is None  # deleted (never synced: nothing to tell the server)
        assert unlocked.vault.get(recent) is not None
    finally:
        unlocked.close()


def test_an_edit_elsewhere_takes_a_trashed_item_back_out(two: tuple[Run, Run]) -> None:
    a, b = two
    ok(a("add", "login", "--title", "Router", "-f", "password=r1"))
    ok(a("sync"))
    ok(b("sync"))
    ok(a("rm", "Router"))
    ok(b("edit", "Router", "-f", "password=r2"))
    ok(b("sync"))
    ok(a("sync"))
    ok(b("sync"))
    for run in (a, b):
        assert ok(run("get", "Router", "--field", "password")) == "r2\n"
        assert ok(run("trash", "list", "--json")) == []
