"""Issue 12 item 5: open sign-up lets anyone squat an address (and put words of their
choosing into the new-sign-in mails). ``SAFEHOLD_SIGNUPS=closed`` takes sign-ups only from
addresses an administrator invited with ``safehold-server accounts invite EMAIL``, once."""

from __future__ import annotations

import json

from tests.support.accounts import TestAccount, signup_body
from tests.support.inprocess import MakeApi
from typer.testing import CliRunner

from safehold import wire
from safehold.server.cli import app as server_cli

API = wire.API_PREFIX


def _invite(database_url: str, email: str) -> dict[str, object]:
    args = ["accounts", "invite", email, "--database-url", database_url, "--json"]
    result = CliRunner().invoke(server_cli, args)
    assert result.exit_code == 0, result.output
    return dict(json.loads(result.stdout))


def test_closed_sign_up_takes_only_invited_addresses_once(make_api: MakeApi) -> None:
    with make_api(signups="closed") as api:
        url = str(api.app.state.services.settings.effective_database_url)  # type: ignore[attr-defined]
        squatter = TestAccount.new()
        refused = api.post(f"{API}/accounts", json=signup_body(squatter))
        assert refused.status_code == 403 and refused.json()["error"]["code"] == "signups_closed"

        invited = TestAccount.new()
        assert _invite(url, invited.email.upper()) == {
            "invited": invited.email, "has_account": False, "signups": "open",  # the CLI's own settings
        }  # fmt: skip
        assert api.post(f"{API}/accounts", json=signup_body(invited)).status_code == 201
        # Used up: a second account for the address is refused as closed, before "taken".
        again = api.post(f"{API}/accounts", json=signup_body(TestAccount.new()) | {"email": invited.email})
        assert again.status_code == 403


def test_open_sign_up_is_the_default(make_api: MakeApi) -> None:
    with make_api() as api:
        assert api.app.state.services.settings.signups == "open"  # type: ignore[attr-defined]
        assert api.post(f"{API}/accounts", json=signup_body(TestAccount.new())).status_code == 201


def test_the_client_says_why_and_what_to_do() -> None:
    import httpx

    from safehold.client.api import error_from_response
    from safehold.client.errors import ExitCode

    body = {"error": {"code": "signups_closed", "message": "by invitation only"}}
    error = error_from_response(httpx.Response(403, json=body))
    assert error.exit_code == ExitCode.SIGNUPS_CLOSED == 32
    assert "invite" in (error.hint or "")
