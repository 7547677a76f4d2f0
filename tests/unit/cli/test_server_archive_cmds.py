"""``safehold archive`` with the server's reset archive, in-process: the storage is not
trusted, so an archived item it altered is reported and left out, never written; the
listing says how to see the server's archives when the vault is locked."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import httpx
from tests.unit.cli.conftest import EMAIL, Run, as_json, signup_json
from tests.unit.client._inproc import BASE_URL
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD
from tests.unit.client._reset import reset_account

from safehold.client.transports import default_http_transport


def _reset(cli: Run, tmp_path: Path) -> tuple[str, str]:
    """A signs up with two items, syncs, and the account is reset; the old and new keys."""
    old_key = signup_json(cli)["account_key"]
    for title in ("One", "Two"):
        assert cli("A", "add", "login", "--title", title).exit_code == 0
    assert cli("A", "sync").exit_code == 0
    with httpx.Client(transport=default_http_transport(), base_url=BASE_URL) as http:
        new_key = reset_account(http, tmp_path / "outbox", EMAIL, NEW_PASSWORD)
    return old_key, new_key.to_text()


def test_an_item_the_server_altered_is_left_out_and_reported(cli: Run, tmp_path: Path) -> None:
    old_key, new_key = _reset(cli, tmp_path)
    with sqlite3.connect(tmp_path / "server" / "safehold.db") as db:
        rows = db.execute("SELECT item_id, envelope FROM reset_archive_items ORDER BY item_id").fetchall()
        assert len(rows) == 2
        # The second item gets the first one's envelope: validly sealed, for another id.
        db.execute("UPDATE reset_archive_items SET envelope = ? WHERE item_id = ?", (rows[0][1], rows[1][0]))
    login = cli("B", "login", EMAIL, "--account-key", new_key, "--json", password=NEW_PASSWORD)
    assert login.exit_code == 0, login.output
    [kept] = as_json(cli("B", "archive", "list", "--json", password=NEW_PASSWORD))["server_archives"]
    env = {"SAFEHOLD_OLD_PASSWORD": PASSWORD}
    done = cli("B", "archive", "restore", kept["id"], "--account-key", old_key, "--json",
               password=NEW_PASSWORD, env=env)  # fmt: skip
    assert done.exit_code == 0, done.output
    report = as_json(done)
    assert report["tampered"] == [rows[1][0]] and len(report["added"]) == 1
    titles = [i["title"] for i in as_json(cli("B", "list", "--json", password=NEW_PASSWORD))]
    assert len(titles) == 1 and titles[0] in {"One", "Two"}
    text = cli("B", "archive", "restore", kept["id"], "--account-key", old_key, "--dry-run",
               password=NEW_PASSWORD, env=env)  # fmt: skip
    assert text.exit_code == 0 and "did not open with the old keys" in text.stderr


def test_without_a_local_archive_restore_takes_the_servers_newest(cli: Run, tmp_path: Path) -> None:
    old_key, new_key = _reset(cli, tmp_path)
    assert cli("C", "login", EMAIL, "--account-key", new_key, password=NEW_PASSWORD).exit_code == 0
    env = {"SAFEHOLD_OLD_PASSWORD": PASSWORD}
    done = cli("C", "archive", "restore", "--account-key", old_key, "--json", password=NEW_PASSWORD, env=env)
    assert done.exit_code == 0, done.output
    assert sorted(as_json(done)["added"]) == ["One", "Two"]
    assert cli("C", "archive", "restore", "srv-ffff", password=NEW_PASSWORD, env=env).exit_code == 25


def test_a_locked_device_lists_what_it_has_and_says_how_to_see_more(cli: Run, tmp_path: Path) -> None:
    _old_key, new_key = _reset(cli, tmp_path)
    assert cli("C", "login", EMAIL, "--account-key", new_key, password=NEW_PASSWORD).exit_code == 0
    locked = cli("C", "archive", "list", "--json", password=None)
    assert locked.exit_code == 0, locked.output
    listing = as_json(locked)
    assert listing["server_archives"] == [] and "unlock" in listing["server_note"]
