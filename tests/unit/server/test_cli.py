"""``safehold-server`` admin commands, with and without ``--json``."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.support.accounts import TestAccount, create_items, signup
from tests.support.inprocess import app_client
from typer.testing import CliRunner

from safehold.server.cli import Exit, app
from safehold.server.db.migrate import head_revision

runner = CliRunner()


@pytest.fixture
def populated(tmp_path: Path) -> tuple[str, TestAccount]:
    account = TestAccount.new(email="admin-test@example.test")
    with app_client(tmp_path) as api:
        session = signup(api, account, device_name="desk")
        create_items(api, session, account, [{"a": 1}, {"b": 2}])
    return f"sqlite:///{tmp_path / 'safehold.db'}", account


def _run(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.output


def test_db_upgrade_json(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    code, out = _run("db", "upgrade", "--database-url", url, "--json")
    # The head, whatever migration is newest (branches add theirs; the lead chains them).
    head = head_revision()
    assert code == 0 and json.loads(out) == {"from": None, "to": head}
    code, out = _run("db", "upgrade", "--database-url", url, "--json")
    assert json.loads(out) == {"from": head, "to": head}


def test_accounts_list_and_show(populated: tuple[str, TestAccount]) -> None:
    url, account = populated
    code, out = _run("accounts", "list", "--database-url", url, "--json")
    assert code == 0
    [row] = json.loads(out)["accounts"]
    assert row["email"] == account.email and row["item_count"] == 2 and row["generation"] == 1
    code, out = _run("accounts", "show", account.email.upper(), "--database-url", url, "--json")
    shown = json.loads(out)
    assert code == 0 and shown["account_id"] == account.account_id
    assert (
        shown["plan"] == "free" and shown["license_status"] == "active" and shown["license_expires"] is None
    )
    assert [d["name"] for d in shown["devices"]] == ["desk"]
    assert "verifier" not in out and "keyset" not in out
    code, out = _run("accounts", "show", account.email, "--database-url", url)
    assert code == 0 and "generation" in out and account.account_id in out


def test_license_set(populated: tuple[str, TestAccount]) -> None:
    url, account = populated
    code, out = _run(
        "license",
        "set",
        account.email,
        "--plan",
        "premium",
        "--expires",
        "2030-01-31",
        "--database-url",
        url,
        "--json",
    )
    data = json.loads(out)
    assert code == 0 and data["plan"] == "premium" and data["license_expires"].startswith("2030-01-31")
    code, out = _run(
        "license",
        "set",
        account.email,
        "--plan",
        "premium",
        "--expires",
        "2001-01-01",
        "--database-url",
        url,
        "--json",
    )
    assert json.loads(out)["license_status"] == "expired"


def test_exit_codes(populated: tuple[str, TestAccount], tmp_path: Path) -> None:
    url, _ = populated
    code, out = _run("accounts", "show", "nobody@example.test", "--database-url", url, "--json")
    assert code == Exit.NOT_FOUND and json.loads(out)["exit_code"] == 3
    code, _ = _run("license", "set", "x@example.test", "--plan", "gold", "--database-url", url)
    assert code == Exit.USAGE
    code, _ = _run(
        "license", "set", "x@example.test", "--plan", "free", "--expires", "31/01/2030", "--database-url", url
    )
    assert code == Exit.USAGE
    code, _ = _run("accounts", "list", "--config", str(tmp_path / "missing.toml"))
    assert code == Exit.CONFIG
    code, _ = _run("accounts", "list", "--database-url", "postgresql+psycopg://nobody@127.0.0.1:1/none")
    assert code == Exit.CONFIG


@pytest.mark.parametrize(
    ("args", "mentions"),
    [
        (("--plan", "gold"), "--plan"),
        (("--plan", "premium", "--expires", "31/01/2030"), "--expires"),
        (("--plan", "premium", "--expires", "2030-02-30"), "--expires"),
    ],
)
def test_usage_errors_are_json_with_json(
    populated: tuple[str, TestAccount], args: tuple[str, ...], mentions: str
) -> None:
    url, account = populated
    result = runner.invoke(app, ["license", "set", account.email, *args, "--database-url", url, "--json"])
    assert result.exit_code == Exit.USAGE
    error = json.loads(result.stdout)
    assert error["exit_code"] == 2 and mentions in error["error"]
    # Nothing was changed.
    shown = json.loads(
        runner.invoke(app, ["accounts", "show", account.email, "--database-url", url, "--json"]).stdout
    )
    assert shown["plan"] == "free"


def test_usage_errors_without_json_go_to_stderr(populated: tuple[str, TestAccount]) -> None:
    url, account = populated
    result = runner.invoke(app, ["license", "set", account.email, "--plan", "gold", "--database-url", url])
    assert result.exit_code == Exit.USAGE
    assert result.stdout == "" and "--plan: use one of free, premium" in result.stderr


def test_help_shows_flags_as_flags() -> None:
    """`--help <bool>` read as if the flag took a value (issue 15)."""
    import subprocess
    import sys

    for args in (["serve", "--help"], ["accounts", "show", "--help"]):
        shown = subprocess.run(
            [sys.executable, "-c", "from safehold.server.cli import run; run()", *args],
            capture_output=True, text=True, check=False, env={"COLUMNS": "100", "PATH": "/usr/bin:/bin"},
        )  # fmt: skip
        assert shown.returncode == 0, shown.stderr
        assert "--help" in shown.stdout and "<bool>" not in shown.stdout
