"""``safehold reset EMAIL`` then ``safehold reset --link URL``: the reset completed by the CLI
(keys made on the device), end to end with the real server mailing through aiosmtpd; every
device archives its copy and restores it with the old password; nothing secret reaches the
server's database, its log or the mail."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.cli import profile_env
from tests.support.server import run_server
from tests.support.smtp import run_smtp
from tests.unit.client._passwords import NEW_PASSWORD, PASSWORD

EMAIL = "ann@example.com"
_LINK = re.compile(r"https?://\S+/reset/[A-Za-z0-9_-]{20,}")


def _json(result: subprocess.CompletedProcess[str]) -> Any:
    assert result.returncode == 0, f"exit {result.returncode}: {result.stderr}{result.stdout}"
    return json.loads(result.stdout)


def test_reset_completed_by_the_cli(tmp_path: Path) -> None:
    runtime = Path(tempfile.mkdtemp(prefix="sh-"))
    with run_smtp() as sink, run_server(tmp_path, smtp_port=sink.port) as server:

        def run(
            profile: str, *args: str, password: str = PASSWORD, stdin: str | None = None, **env: str
        ) -> subprocess.CompletedProcess[str]:
            environment = profile_env(
                home=tmp_path, profile=tmp_path / profile, server=server.base_url,
                runtime=runtime / profile, device_name=profile, SAFEHOLD_IDLE_TIMEOUT="30",
            )  # fmt: skip
            environment["SAFEHOLD_PASSWORD"] = password
            environment.update(env)
            return subprocess.run([sys.executable, "-m", "safehold.cli.main", *args], env=environment,
                                  input=stdin, capture_output=True, text=True, timeout=60)  # fmt: skip

        def titles(profile: str, password: str) -> list[str]:
            return sorted(i["title"] for i in _json(run(profile, "list", "--json", password=password)))

        old_key = _json(run("A", "signup", EMAIL, "--json"))["account_key"]
        _json(run("A", "add", "login", "--title", "GitHub", "--field", "password=item-secret-1", "--json"))
        run("A", "sync")
        _json(run("B", "login", EMAIL, "--account-key", old_key, "--json"))
        _json(run("B", "add", "login", "--title", "offline on B", "--json"))
        before = len(sink.messages)
        assert run("A", "reset", EMAIL).returncode == 0
        mail = sink.wait_for(before + 1)[-1]
        body = mail.get_body(preferencelist=("plain",))
        assert body is not None
        link = _LINK.search(body.get_content())  # type: ignore[union-attr]
        assert link is not None
        # Not confirmed: nothing changes.
        # A link in the arguments works, with a warning: any local user can read it there.
        refused = run("A", "reset", "--link", link.group(0), SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)
        assert refused.returncode == 2 and "--yes" in refused.stderr
        assert "--link -" in refused.stderr and "other users of this computer" in refused.stderr
        assert "GitHub" in titles("A", PASSWORD)
        empty = run("A", "reset", "--link", "-", "--yes", stdin="", SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)
        assert empty.returncode == 2 and "no link given" in empty.stderr
        # `--link -` reads it from standard input (a hidden prompt at a terminal).
        done = run("A", "reset", "--link", "-", "--yes", "--hint", "the new one", "--json",
                   stdin=link.group(0) + "\n", SAFEHOLD_NEW_PASSWORD=NEW_PASSWORD)  # fmt: skip
        assert "other users of this computer" not in done.stderr
        result = _json(done)
        assert "A" in done.stderr and "deleted" in done.stderr  # the warnings and the device list
        new_key = result["account_key"]
        assert result["generation"] == 2 and len(result["archived"]) == 1 and Path(result["kit"]).exists()
        assert titles("A", NEW_PASSWORD) == []
        # A restores its archive with the old password; B finds out, archives, restores.
        _json(run("A", "archive", "restore", "--json", password=NEW_PASSWORD, SAFEHOLD_OLD_PASSWORD=PASSWORD))
        run("A", "sync", password=NEW_PASSWORD)
        assert run("B", "sync").returncode == 9
        _json(run("B", "login", EMAIL, "--account-key", new_key, "--json", password=NEW_PASSWORD))
        restored = _json(run("B", "archive", "restore", "--json", password=NEW_PASSWORD,
                             SAFEHOLD_OLD_PASSWORD=PASSWORD))  # fmt: skip
        assert restored["unsynced"] == ["offline on B"]
        run("B", "sync", password=NEW_PASSWORD)
        run("A", "sync", password=NEW_PASSWORD)
        assert titles("A", NEW_PASSWORD) == ["GitHub", "offline on B"]
        # Zero knowledge: the database, the log and every mail.
        seen = server.dump_database() + server.log_text() + "".join(m.as_string() for m in sink.messages)
        for secret in (NEW_PASSWORD, PASSWORD, new_key, old_key, "item-secret-1", "offline on B"):
            assert secret not in seen and secret.replace("-", "") not in seen
