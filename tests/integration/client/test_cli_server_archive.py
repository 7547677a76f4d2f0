"""Issue 14 §2 end to end: after a real reset the server keeps the old generation sealed; a
signed-in device of the new generation lists it with ``safehold archive list`` and restores
it with ``safehold archive restore srv-…`` and the OLD password (the old key from the local
archive, or ``--account-key``), like a local archive. Both databases; the zero-knowledge
scan of the database, the log and the mail after it."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import DATABASES, PG_ENV
from tests.support.cli import profile_env
from tests.support.server import run_server
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

EMAIL = "cleo@example.com"
_LINK = re.compile(r"https?://\S+/reset/[A-Za-z0-9_-]{20,}")


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}{result.stdout}"
    return json.loads(result.stdout)


@pytest.mark.slow
@pytest.mark.parametrize("database", DATABASES)
def test_the_servers_archive_is_listed_and_restored_after_a_real_reset(tmp_path: Path, database: str) -> None:
    database_url = None
    if database == "postgres":
        database_url = os.environ.get(PG_ENV) or pytest.skip(f"{PG_ENV} is not set")
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))
    with run_server(tmp_path, database_url=database_url) as server:

        def run(
            profile: str, *args: str, password: str = PASSWORD, **env: str
        ) -> subprocess.CompletedProcess[str]:
            environment = profile_env(
                home=tmp_path, profile=tmp_path / profile, server=server.base_url,
                runtime=runtime / profile, device_name=profile, SAFEHOLD_IDLE_TIMEOUT="30",
            )  # fmt: skip
            environment["SAFEHOLD_PASSWORD"] = password
            environment.update(env)
            return subprocess.run([sys.executable, "-m", "safehold.cli.main", *args], env=environment,
                                  capture_output=True, text=True, timeout=90)  # fmt: skip

        def titles(profile: str) -> list[str]:
            return sorted(i["title"] for i in _json(run(profile, "list", "--json", password=NEW_PASSWORD)))

        old_key = _json(run("A", "signup", EMAIL, "--json"))["account_key"]
        for title in ("GitHub", "Bank"):
            _json(run("A", "add", "login", "--title", title, "--field", "password=item-secret-9", "--json"))
        assert run("A", "sync").returncode == 0
        assert run("A", "reset", EMAIL).returncode == 0
        link = _LINK.search(server.read_outbox()[-1].get_body(("plain",)).get_content())  # type: ignore[union-attr]
        assert link is not None
        done = _json(run("A", "reset", "--link", link.group(0), "--yes", "--json",
                         SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD))  # fmt: skip
        new_key = done["account_key"]

        # C is a new device: nothing of the old generation on it, the server's archive only.
        _json(run("C", "login", EMAIL, "--account-key", new_key, "--json", password=NEW_PASSWORD))
        assert titles("C") == []
        listing = _json(run("C", "archive", "list", "--json", password=NEW_PASSWORD))
        assert listing["archives"] == [] and listing["server_note"] is None
        [kept] = listing["server_archives"]
        assert kept["id"].startswith("srv-") and kept["items"] == 2 and kept["generation"] == 1
        text = run("C", "archive", "list", password=NEW_PASSWORD, COLUMNS="200")
        assert text.returncode == 0 and kept["id"][:16] in text.stdout
        old = {"SAFEHOLD_OLD_PASSWORD": PASSWORD}
        no_key = run("C", "archive", "restore", kept["id"], password=NEW_PASSWORD, **old)
        assert no_key.returncode == 2 and "--account-key" in no_key.stderr
        wrong = run("C", "archive", "restore", kept["id"], "--account-key", old_key, password=NEW_PASSWORD,
                    SAFEHOLD_OLD_PASSWORD=NEW_PASSWORD)  # fmt: skip
        assert wrong.returncode == 3 and "Traceback" not in wrong.stderr
        restored = _json(run("C", "archive", "restore", kept["id"], "--account-key", old_key, "--json",
                             password=NEW_PASSWORD, **old))  # fmt: skip
        assert sorted(restored["added"]) == ["Bank", "GitHub"] and restored["tampered"] == []
        assert run("C", "sync", password=NEW_PASSWORD).returncode == 0
        assert titles("C") == ["Bank", "GitHub"]

        # A archived its own vault (with the old key) on the reset: the server's archive opens
        # with that key, and merges as already there once C's restore synced.
        assert run("A", "sync", password=NEW_PASSWORD).returncode == 0
        again = _json(run("A", "archive", "restore", kept["id"][:10], "--json", password=NEW_PASSWORD, **old))
        assert again["added"] == [] and again["unchanged"] == 2
        gone = _json(run("A", "archive", "delete", kept["id"], "--json", password=NEW_PASSWORD))
        assert gone == {"deleted": kept["id"]}
        assert _json(run("C", "archive", "list", "--json", password=NEW_PASSWORD))["server_archives"] == []
        # A locked device lists what it has and says how to see the server's.
        locked = run("C", "archive", "list", "--json", password="")
        assert locked.returncode == 0

        shown = server.cli("accounts", "show", EMAIL)
        assert shown.returncode == 0 and "archives         0" in shown.stdout

        mail = "".join(m.as_string() for m in server.read_outbox())
        seen = server.dump_database() + server.log_text() + mail
        for secret in (NEW_PASSWORD, PASSWORD, new_key, old_key, "item-secret-9", "GitHub"):
            assert secret not in seen and secret.replace("-", "") not in seen
