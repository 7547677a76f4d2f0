"""The installed ``safehold`` command (bin/safehold, installed as a script: safehold.cli.fast's
``run``, the full CLI behind it) in a subprocess: click's usage errors, and a server's rate
limit reaching the person."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from importlib.metadata import entry_points
from pathlib import Path

from tests.support.cli import profile_env
from tests.support.server import ServerHandle
from tests.unit.client._passwords import PASSWORD

EMAIL = "ann@example.com"


ROOT = Path(__file__).resolve().parents[3]


def _entry() -> str:
    """The code the installed ``safehold`` script runs: bin/safehold, without its #! line."""
    script = (ROOT / "bin" / "safehold").read_text(encoding="utf-8")
    assert script.startswith("#!python\n") and "from safehold.cli.fast import run" in script
    return script.split("\n", 1)[1]


def test_the_installed_script_is_bin_safehold() -> None:
    """pip installs bin/safehold with this environment's interpreter on the #! line, and no
    ``safehold`` entry point is left to generate the slower wrapper."""
    installed = Path(sys.executable).parent / "safehold"
    assert installed.read_text(encoding="utf-8").split("\n", 1)[1] == _entry(), (
        "stale install: run `./run setup` or `pip install --no-deps -e .` again"
    )
    assert not [ep for ep in entry_points(group="console_scripts") if ep.name == "safehold"]


def _run(tmp_path: Path, *args: str, server: str = "http://127.0.0.1:9", password: str | None = PASSWORD
         ) -> subprocess.CompletedProcess[str]:  # fmt: skip
    env = profile_env(
        home=tmp_path, profile=tmp_path / "profile", server=server, runtime=tmp_path / "run",
        device_name="test",
    )  # fmt: skip
    if password is not None:
        env["SAFEHOLD_PASSWORD"] = password
    return subprocess.run(
        [sys.executable, "-c", _entry(), *args], env=env, capture_output=True, text=True, timeout=60
    )


def test_usage_errors_exit_2_with_clicks_message(tmp_path: Path) -> None:
    cases = {
        ("frobnicate",): "No such command 'frobnicate'",
        ("history",): "Missing argument 'ITEM'",
        ("login",): "Missing argument 'EMAIL'",
        ("list", "--bogus"): "No such option: --bogus",
        ("--bogus", "list"): "No such option: --bogus",
        ("generate", "--length", "many"): "Invalid value for '--length'",
    }
    for args, message in cases.items():
        result = _run(tmp_path, *args)
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert message in result.stderr, (args, result.stderr)
        assert "Usage: safehold" in result.stderr and "Try 'safehold" in result.stderr
        assert "Traceback" not in result.stderr and result.stdout == ""


def test_no_arguments_shows_help(tmp_path: Path) -> None:
    result = _run(tmp_path)
    assert "Usage: safehold" in result.stdout + result.stderr
    assert "signup" in result.stdout + result.stderr
    assert result.returncode in (0, 2)


def test_repeated_wrong_passwords_are_rate_limited(server: ServerHandle, tmp_path: Path) -> None:
    made = _run(tmp_path / "a", "signup", EMAIL, "--json", server=server.base_url)
    assert made.returncode == 0, made.stderr
    key = json.loads(made.stdout)["account_key"]

    def attempt(*extra: str) -> subprocess.CompletedProcess[str]:
        return _run(tmp_path / "b", "login", EMAIL, "--account-key", key, *extra,
                    server=server.base_url, password="wrong")  # fmt: skip

    # Five failures are free (per account and per client address) ...
    for _ in range(5):
        result = attempt()
        assert result.returncode == 3 and "email, password or account key incorrect" in result.stderr

    # ... then each further one must wait twice as long after the last failure; an attempt
    # inside the wait is refused at once (and not counted), and the person is told how long.
    def until_limited(*extra: str) -> subprocess.CompletedProcess[str]:
        for _ in range(8):
            result = attempt(*extra)
            if result.returncode == 12:
                return result
            assert result.returncode == 3, result.stdout + result.stderr
        raise AssertionError("never rate limited")

    limited = until_limited()
    assert re.search(r"too many attempts; try again in \d+ (second|seconds|minutes)\b", limited.stderr)
    assert "Traceback" not in limited.stderr
    as_json = until_limited("--json")
    error = json.loads(as_json.stdout)["error"]
    assert error["kind"] == "rate_limited" and error["exit_code"] == 12
    assert error["retry_after"] >= 1 and "try again in" in error["message"]
