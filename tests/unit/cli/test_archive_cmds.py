"""``safehold archive`` in-process: expiry warnings in ``status``, removal after the setting,
restore with an account key given on the command line, usage errors."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.unit.cli.conftest import EMAIL, Run, as_json, signup_json
from tests.unit.client._passwords import PASSWORD

from safehold.client.archive import ArchiveStore
from safehold.client.profile import Profile


def _age(home: Path, days: float) -> str:
    """Make the profile's only archive ``days`` old; its id."""
    store = ArchiveStore(Profile(home))
    (manifest,) = store.all()
    path = store.root / manifest.id / "manifest.json"
    raw = json.loads(path.read_text())
    raw["created"] = (datetime.now(UTC) - timedelta(days=days)).isoformat()
    path.write_text(json.dumps(raw))
    return manifest.id


def _archive_a(cli: Run, tmp_path: Path) -> str:
    """Sign A up, add an item, and set its vault aside as a reset claim would."""
    key = signup_json(cli)["account_key"]
    assert cli("A", "add", "login", "--title", "Kept").exit_code == 0
    from tests.unit.cli.conftest import service

    svc = service(tmp_path, "A")
    manifest = svc.archive(svc.profile.require_current(), "test: a reset claim")
    assert manifest is not None
    return key


def test_status_warns_before_removal_and_removal_is_told(cli: Run, tmp_path: Path) -> None:
    _archive_a(cli, tmp_path)
    archive_id = _age(tmp_path / "A", 25)
    status = cli("A", "status")
    assert status.exit_code == 8  # no account here any more ...
    assert f"archive {archive_id}" in status.stderr and "will be removed after" in status.stderr
    _age(tmp_path / "A", 31)
    listing = cli("A", "archive", "list", "--json")
    assert listing.exit_code == 0 and as_json(listing)["archives"] == []
    assert "was older than 30 days and was removed" in listing.stderr


def test_the_setting_changes_how_long_archives_are_kept(cli: Run, tmp_path: Path) -> None:
    _archive_a(cli, tmp_path)
    _age(tmp_path / "A", 31)
    kept = cli("A", "archive", "list", "--json", env={"SAFEHOLD_ARCHIVE_DAYS": "60"})
    assert len(as_json(kept)["archives"]) == 1
    bad = cli("A", "archive", "list", env={"SAFEHOLD_ARCHIVE_DAYS": "soon"})
    assert bad.exit_code == 2


def test_restore_with_the_key_given_when_the_archive_has_none(cli: Run, tmp_path: Path) -> None:
    key = _archive_a(cli, tmp_path)
    store = ArchiveStore(Profile(tmp_path / "A"))
    (manifest,) = store.all()
    (store.root / manifest.id / "account.key").unlink()
    # Back in: a false claim puts the vault back at sign-in; restore into a second account here.
    assert cli("A", "signup", "bob@example.com", "--json").exit_code == 0
    env = {"SAFEHOLD_OLD_PASSWORD": PASSWORD}
    missing = cli("A", "archive", "restore", manifest.id, "--json", env=env)
    assert missing.exit_code == 2 and "holds no account key" in missing.stdout
    done = cli("A", "archive", "restore", manifest.id, "--account-key", key, "--json", env=env)
    assert done.exit_code == 0, done.output
    assert as_json(done)["added"] == ["Kept"]
    titles = [i["title"] for i in as_json(cli("A", "list", "--json"))]
    assert titles == ["Kept"]
    assert cli("A", "archive", "restore", "nope", env=env).exit_code == 25
    assert EMAIL in json.dumps(as_json(cli("A", "archive", "list", "--json")))
