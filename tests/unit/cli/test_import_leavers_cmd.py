"""``safehold import`` of the mSecure, 1Password and LastPass fixtures through the CLI:
detected without --from, the summary's counts and skipped rows, custom fields reported, and
a second import that changes nothing; a 1PUX zip that would expand too far is refused with
its own message and exit code 2."""

from __future__ import annotations

import functools
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.unit.cli.conftest import Run, as_json

from safehold.client.errors import ExitCode
from safehold.interop.importers import onepassword

PASSWORD = "maple quartz lantern 48 orbit"
FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "import"


@pytest.fixture
def sh(cli: Run) -> Iterator[Run]:
    run: Run = functools.partial(cli, password=PASSWORD, env={"SAFEHOLD_BACKUP_EVERY": "0"})
    assert run("A", "signup", "ann@example.com", "--json").exit_code == 0
    yield functools.partial(run, "A")


def _1pux(tmp_path: Path) -> Path:
    path = tmp_path / "export.1pux"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in ("export.attributes", "export.data"):
            archive.write(FIXTURES / "1password-1pux" / name, name)
    return path


@pytest.mark.parametrize(("name", "fmt", "imported", "skipped"), [
    ("msecure6.csv", "msecure6-csv", 7, 1),
    ("msecure5-windows.csv", "msecure5-csv", 9, 0),
    ("lastpass.csv", "lastpass-csv", 7, 0),
    ("1password.csv", "1password-csv", 3, 0),
    ("1pux", "1password-1pux", 5, 2),
])  # fmt: skip
def test_each_format_through_the_cli(
    sh: Run, tmp_path: Path, name: str, fmt: str, imported: int, skipped: int
) -> None:
    path = _1pux(tmp_path) if name == "1pux" else FIXTURES / name
    result = sh("import", str(path), "--json")
    assert result.exit_code == 0, result.output
    summary = as_json(result)
    assert (summary["format"], summary["imported"], len(summary["skipped"])) == (fmt, imported, skipped)
    again = as_json(sh("import", str(path), "--json"))
    assert again["imported"] == 0 and again["updated"] == 0 and again["unchanged"] == imported
    assert len(as_json(sh("list", "--json"))) == imported


def test_a_1pux_that_would_expand_too_far_is_refused(
    sh: Run, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(onepassword, "MAX_DATA_BYTES", 1000)
    result = sh("import", str(_1pux(tmp_path)), "--json")
    assert result.exit_code == ExitCode.USAGE
    assert "expand past" in as_json(result)["error"]["message"]
    assert as_json(sh("list", "--json")) == []
