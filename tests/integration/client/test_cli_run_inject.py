"""`safehold run` and `safehold inject` with real child processes against a real server:
secrets reach the child's environment and the output file (0600), references resolve
before anything runs, and an unresolved one runs nothing and writes nothing."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.unit.client._passwords import PASSWORD

from safehold.client.errors import ExitCode

EMAIL = "ann@example.com"
ENTRY = "import sys; from safehold.cli.main import run; sys.exit(run())"
Sh = Callable[..., subprocess.CompletedProcess[str]]


@pytest.fixture
def sh(server: ServerHandle, tmp_path: Path) -> Sh:
    env = profile_env(home=tmp_path, profile=tmp_path / "p", server=server.base_url, runtime=tmp_path / "run",
                      device_name="test", SAFEHOLD_PASSWORD=PASSWORD)  # fmt: skip

    def run(*args: str, input: str | None = None, extra: dict[str, str] | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess[str]:  # fmt: skip
        return subprocess.run([sys.executable, "-c", ENTRY, *args], env={**env, **(extra or {})}, input=input,
                              capture_output=True, text=True, timeout=120, cwd=cwd)  # fmt: skip

    made = run("signup", EMAIL, "--json")
    assert made.returncode == 0, made.stderr
    added = run("add", "login", "--title", "Postgres", "-f", "username=app", "--field-stdin", "password",
                input="pg s3cret $HOME\n")  # fmt: skip
    assert added.returncode == 0, added.stderr
    token = run("add", "login", "--title", "GitHub", "--custom", "token:hidden=ghp_123")
    assert token.returncode == 0, token.stderr
    return run


PRINT_ENV = "import os, sys; print(os.environ['DB_PASS']); print(os.environ.get('TOKEN')); sys.exit(3)"


def test_run_puts_secrets_in_the_childs_environment_and_passes_its_exit_code(sh: Sh) -> None:
    result = sh("run", "--env", "DB_PASS=safehold://Postgres/password", "-e", "TOKEN=safehold://GitHub/token",
                "--", sys.executable, "-c", PRINT_ENV)  # fmt: skip
    assert result.returncode == 3, result.stderr
    assert result.stdout == "pg s3cret $HOME\nghp_123\n"
    # A reference already in the environment is resolved too; the vault password is not passed on.
    inherited = sh("run", "--", sys.executable, "-c",
                   "import os; print(os.environ['DB_PASS'], os.environ.get('SAFEHOLD_PASSWORD'))",
                   extra={"DB_PASS": "safehold://Postgres/username"})  # fmt: skip
    assert inherited.returncode == 0 and inherited.stdout == "app None\n", inherited.stderr


def test_run_with_an_unresolved_reference_runs_nothing(sh: Sh, tmp_path: Path) -> None:
    marker = tmp_path / "ran"
    touch = ["--", sys.executable, "-c", f"open({str(marker)!r}, 'w')"]
    for ref, message in (("safehold://Nope/password", "no item matches 'Nope'"),
                         ("safehold://Postgres/pasword", "no field called 'pasword'")):  # fmt: skip
        result = sh("run", "-e", "A=safehold://Postgres/password", "-e", f"B={ref}", *touch)
        assert result.returncode == ExitCode.NOT_FOUND, result.stderr
        assert ref in result.stderr and message in result.stderr
    bad = sh("run", "-e", "B=https://example.com", *touch)
    assert bad.returncode == ExitCode.USAGE and "safehold://ITEM/FIELD" in bad.stderr
    missing = sh("run", "-e", "A=safehold://Postgres/password", "--", "/nonexistent/tool")
    assert missing.returncode == ExitCode.COMMAND_FAILED_TO_START and "could not start" in missing.stderr
    assert not marker.exists()


def test_inject_fills_a_template_into_a_private_file(sh: Sh, tmp_path: Path) -> None:
    template = tmp_path / "config.tpl"
    template.write_text("user: {{ safehold://Postgres/username }}\npass: {{safehold://Postgres/password}}\n"
                        "token: {{ safehold://GitHub/token }}\nplain: {{ not a ref }}\n")  # fmt: skip
    out = tmp_path / "config.yml"
    result = sh("inject", "-i", str(template), "-o", str(out), "--json")
    assert result.returncode == 0, result.stderr
    assert out.read_text() == "user: app\npass: pg s3cret $HOME\ntoken: ghp_123\nplain: {{ not a ref }}\n"
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
    # An existing file is replaced only with --force.
    again = sh("inject", "-i", str(template), "-o", str(out))
    assert again.returncode == ExitCode.USAGE and "--force" in again.stderr
    assert sh("inject", "-i", str(template), "-o", str(out), "--force").returncode == 0
    # From stdin to stdout.
    piped = sh("inject", input="{{ safehold://GitHub/token }}")
    assert piped.returncode == 0 and piped.stdout == "ghp_123"


def test_inject_with_an_unresolved_reference_writes_nothing(sh: Sh, tmp_path: Path) -> None:
    template = tmp_path / "t"
    template.write_text("a: {{ safehold://Postgres/password }}\nb: {{ safehold://Missing/x }}\n")
    out = tmp_path / "out"
    result = sh("inject", "-i", str(template), "-o", str(out))
    assert result.returncode == ExitCode.NOT_FOUND and "safehold://Missing/x" in result.stderr
    assert not out.exists() and list(tmp_path.glob(".out.*")) == []
    assert sh("inject", "-i", str(tmp_path / "none"), "-o", str(out)).returncode == ExitCode.USAGE
