from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import Result
from tests.unit.client._inproc import BASE_URL, inprocess_server
from tests.unit.client._passwords import PASSWORD
from typer.testing import CliRunner

from safehold.cli.main import app
from safehold.client.account import AccountService
from safehold.client.settings import ClientSettings
from safehold.client.transports import test_only_http_transport

Run = Callable[..., Result]

EMAIL = "ann@example.com"


@pytest.fixture
def cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Run]:
    """``cli("A", "list", "--json", password=PASSWORD, input=None)`` runs the CLI in-process as
    profile A against the in-process server."""
    with inprocess_server(tmp_path) as transport, test_only_http_transport(transport):
        runtime = Path(tempfile.mkdtemp(prefix="sh-"))
        runner = CliRunner()

        def run(
            profile: str,
            *args: str,
            password: str | None = PASSWORD,
            input: str | None = None,
            env: dict[str, str] | None = None,
        ) -> Result:
            environment = {
                "SAFEHOLD_HOME": str(tmp_path / profile),
                "SAFEHOLD_SERVER": BASE_URL,
                "SAFEHOLD_KDF_FLOOR": "1,8,1",
                "SAFEHOLD_TEST_ONLY_INSECURE_SIGNUP_KDF": "1,8,1",
                "SAFEHOLD_KEYSTORE": "file",
                "SAFEHOLD_RUNTIME_DIR": str(runtime / profile),
                "SAFEHOLD_DEVICE_NAME": profile,
                "SAFEHOLD_PASSWORD": password or "",
                "SAFEHOLD_IDLE_TIMEOUT": "20",
            }
            if password is None:
                environment.pop("SAFEHOLD_PASSWORD")
            environment.update(env or {})
            env_final: dict[str, str | None] = dict(environment)
            if password is None:
                env_final["SAFEHOLD_PASSWORD"] = None
            return runner.invoke(app, list(args), input=input, env=env_final, catch_exceptions=False)

        yield run


def as_json(result: Result) -> Any:
    return json.loads(result.stdout)


def signup_json(cli: Run, profile: str = "A") -> dict[str, str]:
    """``safehold signup EMAIL --json`` on ``profile``; its JSON answer."""
    result = cli(profile, "signup", EMAIL, "--json")
    assert result.exit_code == 0, result.output
    return as_json(result)  # type: ignore[no-any-return]


def service(tmp_path: Path, profile: str) -> AccountService:
    """The client library on the same profile the ``cli`` fixture uses."""
    settings = ClientSettings.load(
        env={
            "SAFEHOLD_HOME": str(tmp_path / profile),
            "SAFEHOLD_KDF_FLOOR": "1,8,1",
            "SAFEHOLD_TEST_ONLY_INSECURE_SIGNUP_KDF": "1,8,1",
            "SAFEHOLD_KEYSTORE": "file",
            "SAFEHOLD_DEVICE_NAME": profile,
        }
    )
    return AccountService(settings)
