"""What `sync` and `status` say when storage serves a record that will not open: sign-in is
not blocked, the rest syncs, `sync` exits 15 naming the item, and `status --json` shows the
transport, the last sync and the quarantine (spec/protocol.md §11.5)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.unit.cli.conftest import EMAIL, Run, as_json, signup_json


def _garble_on_server(tmp_path: Path, item_id: str) -> None:
    db = sqlite3.connect(tmp_path / "server" / "safehold.db")
    with db:
        (envelope,) = db.execute("SELECT envelope FROM items WHERE item_id = ?", (item_id,)).fetchone()
        flipped = ("B" if envelope[-2] == "A" else "A").join((envelope[:-2], envelope[-1:]))
        db.execute("UPDATE items SET envelope = ? WHERE item_id = ?", (flipped, item_id))
    db.close()


def test_a_damaged_record_is_quarantined_and_reported(cli: Run, tmp_path: Path) -> None:
    key = signup_json(cli)["account_key"]
    bad = as_json(cli("A", "add", "login", "--title", "Damaged", "--json"))["id"]
    cli("A", "add", "login", "--title", "Fine", "--json")
    assert cli("A", "sync").exit_code == 0
    _garble_on_server(tmp_path, bad)

    login = cli("B", "login", EMAIL, "--account-key", key, "--json")
    assert login.exit_code == 0, login.output  # a bad record never blocks a sign-in
    titles = [i["title"] for i in as_json(cli("B", "list", "--json"))]
    assert titles == ["Fine"]

    result = cli("B", "sync", "--json")
    assert result.exit_code == 15, result.output
    assert [q["item_id"] for q in as_json(result)["quarantined"]] == [bad]

    status = as_json(cli("B", "status", "--json"))
    assert status["transport"]["kind"] == "server" and status["transport"]["where"].startswith("http")
    assert status["last_sync"]["at"] and status["last_sync"]["transport"]["kind"] == "server"
    assert [q["item_id"] for q in status["last_sync"]["quarantined"]] == [bad]
    assert [q["item_id"] for q in status["quarantine"]] == [bad]
    text = cli("B", "status")
    assert bad in text.stdout and "quarantine" in text.stdout

    # The writer saves the item again: its new record opens, and the quarantine empties.
    cli("A", "edit", "Damaged", "-f", "username=ann")
    result = cli("A", "sync", "--json")
    assert result.exit_code == 0, result.output
    assert cli("B", "sync").exit_code == 0
    assert as_json(cli("B", "status", "--json"))["quarantine"] == []
    assert sorted(i["title"] for i in as_json(cli("B", "list", "--json"))) == ["Damaged", "Fine"]
