"""No request produces a traceback, and errors never echo secrets."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, changes, signup
from tests.support.inprocess import services_of

from safehold import wire
from safehold.server.middleware import redact_path


def test_a_bug_becomes_a_json_500_without_details(api: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    session = signup(api, TestAccount.new())

    def broken(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("leaky-detail-1234")

    services_of(api).vault.__dict__["changes"] = broken
    response = changes(api, session)
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal", "message": "the server could not handle this request"}
    }
    assert "leaky-detail-1234" not in response.text
    assert "leaky-detail-1234" not in caplog.text
    assert "RuntimeError" in caplog.text


def test_unknown_routes_and_methods_are_json(api: TestClient) -> None:
    assert api.get("/api/v1/nothing").json()["error"]["code"] == "not_found"
    assert api.put(f"{wire.API_PREFIX}/account").status_code == 405


def test_reset_tokens_are_redacted_from_access_log_paths() -> None:
    assert redact_path("/reset/abcDEF_123") == "/reset/…"
    assert redact_path("/api/v1/reset/abcDEF_123") == "/api/v1/reset/…"
    assert redact_path("/api/v1/reset") == "/api/v1/reset"
