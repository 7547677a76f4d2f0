"""Issue 12 item 9: plain http:// to a server that is not on this machine is refused (from
--server, the environment, a kit or a reset link) unless --insecure-http is given; the
client's default server is the server's default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tests.unit.cli.conftest import Run

from safehold.client.errors import ExitCode, InsecureServer
from safehold.client.kit import write_kit_png
from safehold.client.settings import DEFAULT_SERVER, check_server_url, is_loopback_host
from safehold.crypto import AccountKey, KitPayload
from safehold.server.settings import Settings

REMOTE = "http://192.0.2.10:8420"  # TEST-NET-1: not this machine


def test_the_client_default_is_the_servers_default() -> None:
    server = Settings(_env_file=None)  # type: ignore[call-arg]
    assert DEFAULT_SERVER == f"http://{server.host}:{server.port}" == server.base_url


@pytest.mark.parametrize("host", ["127.0.0.1", "127.1.2.3", "localhost", "[::1]", "safehold.localhost"])
def test_loopback_may_be_plain_http(host: str) -> None:
    assert is_loopback_host(host.strip("[]"))
    check_server_url(f"http://{host}:8420", insecure_http=False)


@pytest.mark.parametrize("url", ["http://10.0.0.5:8420", "http://vault.example.com", "http://[2001:db8::1]/"])
def test_plain_http_elsewhere_is_refused_unless_asked(url: str) -> None:
    with pytest.raises(InsecureServer, match="unencrypted"):
        check_server_url(url, insecure_http=False)
    check_server_url(url, insecure_http=True)
    check_server_url(url.replace("http://", "https://"), insecure_http=False)


@pytest.mark.parametrize("where", ["option", "env"])
def test_signup_over_plain_http_to_another_machine_is_refused(cli: Run, where: str, tmp_path: Path) -> None:
    url = REMOTE
    args = ("--server", url, "--json", "signup", "ann@example.com") if where == "option" else (
        "--json", "signup", "ann@example.com")  # fmt: skip
    result = cli("A", *args, env={"SAFEHOLD_SERVER": url})
    assert result.exit_code == ExitCode.INSECURE_SERVER, result.output
    body = json.loads(result.stdout)
    assert body["error"]["kind"] == "insecure_server" and "192.0.2.10" in body["error"]["message"]
    assert "--insecure-http" in (body["error"].get("hint") or "")
    assert not (tmp_path / "A" / "keys").exists() or not any((tmp_path / "A" / "keys").iterdir())


def test_a_kit_with_a_plain_http_server_is_refused(cli: Run, tmp_path: Path) -> None:
    kit = tmp_path / "kit.png"
    payload = KitPayload(server=REMOTE, email="ann@example.com", account_key=AccountKey.generate())
    write_kit_png(kit, payload)
    result = cli("B", "--json", "login", "ann@example.com", "--kit", str(kit), env={"SAFEHOLD_SERVER": ""})
    assert result.exit_code == ExitCode.INSECURE_SERVER, result.output


def test_insecure_http_lets_the_person_choose(cli: Run) -> None:
    # The in-process transport answers whatever the URL: here only the refusal is tested.
    result = cli("A", "--insecure-http", "--server", REMOTE, "--json", "signup", "ann@example.com")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["server"] == REMOTE
    # The vault remembers its server; later commands need the choice again.
    refused = cli("A", "--json", "sync")
    assert refused.exit_code == ExitCode.INSECURE_SERVER, refused.output
    assert cli("A", "--insecure-http", "--json", "sync").exit_code == 0
