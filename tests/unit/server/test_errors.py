"""No request produces a traceback, and errors never echo secrets."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.accounts import TestAccount, changes, signup
from tests.support.inprocess import MakeApi, make_settings, services_of

from safehold import wire
from safehold.server.app import create_app
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
    assert redact_path("/recover/abcDEF_123") == "/recover/…"
    assert redact_path("/api/v1/recover/abcDEF_123/open") == "/api/v1/recover/…/open"
    assert redact_path("/verify/abcDEF_123") == "/verify/…"
    assert redact_path("/api/v1/reset") == "/api/v1/reset"


def test_a_chunked_body_over_the_limit_is_413(make_api: MakeApi) -> None:
    with make_api(max_body_bytes=10_000) as api:

        def chunks(size: int) -> Iterator[bytes]:
            yield b'{"email": "'
            for _ in range(size // 10):
                yield b"a" * 10
            yield b'@example.test"}'

        headers = {"content-type": "application/json"}
        too_big = api.post(f"{wire.API_PREFIX}/auth/start", content=chunks(30_000), headers=headers)
        assert "content-length" not in too_big.request.headers  # really chunked
        assert too_big.status_code == 413
        assert too_big.json()["error"]["code"] == "payload_too_large"
        small = api.post(f"{wire.API_PREFIX}/auth/start", content=chunks(50), headers=headers)
        assert small.status_code == 200, small.text


@pytest.mark.parametrize("database", ["sqlite-directory", "postgres-closed-port"])
def test_healthz_is_503_when_the_database_is_down(
    tmp_path: Path, database: str, caplog: pytest.LogCaptureFixture
) -> None:
    if database == "sqlite-directory":
        (tmp_path / "a-directory").mkdir()
        url = f"sqlite:///{tmp_path / 'a-directory'}"
    else:
        url = "postgresql+psycopg://nobody:pw-9931@127.0.0.1:1/none"
    app = create_app(make_settings(tmp_path, database_url=url), migrate=False)
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "unavailable" and body["error"]["code"] == "unavailable"
    assert "pw-9931" not in response.text and "pw-9931" not in caplog.text


def test_healthz_is_ok_when_the_database_is_up(api: TestClient) -> None:
    response = api.get("/healthz")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
