"""Property-based requests from /openapi.json (a bounded number per operation): no 500s,
and every answer — errors included — matches the published schema.

An auth provider signs up a real account (``tests/support/accounts.py``) and sends its
session token and generation with every case, so the vault, device and account routes
are exercised past their 401/422 front door. A case that logs the session out (or
otherwise gets a 401) makes schemathesis fetch a fresh session and replay it.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.support.accounts import Session, TestAccount, signup
from tests.support.inprocess import make_settings

from safehold import wire
from safehold.server.app import create_app

_tmp = Path(__import__("tempfile").mkdtemp(prefix="safehold-schemathesis-"))
app = create_app(
    make_settings(
        _tmp, login_free_failures=10_000, request_limit_per_address=10_000, request_limit_per_client=10_000
    )
)
# The HTML pages (owned by the reset-pages work) are tested by their own suite.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/(api/|healthz)")

#: Examples per operation: enough to reach each route's main branches, bounded for CI.
MAX_EXAMPLES = 15

_client: TestClient | None = None


def client() -> TestClient:
    """The app with its start-up (migrations) run, opened on first use: schemathesis
    already asks the auth provider for a session while it collects the tests."""
    global _client
    if _client is None:
        _client = TestClient(app)
        _client.__enter__()
    return _client


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    client()
    yield
    global _client
    if _client is not None:
        _client.__exit__(None, None, None)
        _client = None


def _declares_header(case: schemathesis.Case, name: str) -> bool:
    headers = case.operation.headers
    return any(param.name.lower() == name.lower() for param in headers)


def _put_header(case: schemathesis.Case, name: str, value: str) -> None:
    headers: dict[str, Any] = case.headers or {}
    # The generated case may carry its own spelling of the header; HTTP names are
    # case-insensitive, so a leftover would be sent beside ours.
    for key in [k for k in headers if k.lower() == name.lower()]:
        del headers[key]
    headers[name] = value
    case.headers = headers


@schema.auth()
class SessionAuth:
    """A fresh account and session; cached by schemathesis, refetched after a 401."""

    def get(self, case: schemathesis.Case, ctx: schemathesis.AuthContext) -> Session:
        return signup(client(), TestAccount.new(), device_name="schemathesis")

    def set(self, case: schemathesis.Case, data: Session, ctx: schemathesis.AuthContext) -> None:
        if _declares_header(case, "Authorization"):
            _put_header(case, "Authorization", f"{wire.AUTH_SCHEME} {data.token}")
        if _declares_header(case, wire.GENERATION_HEADER):
            _put_header(case, wire.GENERATION_HEADER, str(data.generation))


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )


def test_the_auth_provider_gets_past_the_front_door() -> None:
    # Without this, a broken provider would leave every protected route at 401 and the
    # property test above would still pass.
    session = SessionAuth().get(None, None)  # type: ignore[arg-type]
    changes = schema[f"{wire.API_PREFIX}/vault/changes"]["GET"].Case(query={"since": 0})
    SessionAuth().set(changes, session, None)  # type: ignore[arg-type]
    response = changes.call()
    assert response.status_code == 200, response.text
    assert response.json()["changes"] == [] and response.json()["generation"] == session.generation
    item = "ab" * 16
    put = schema[f"{wire.API_PREFIX}/vault/items/{{item_id}}"]["PUT"].Case(
        path_parameters={"item_id": item}, body={"base_revision": 0, "envelope": "AAAA"}
    )
    SessionAuth().set(put, session, None)  # type: ignore[arg-type]
    response = put.call_and_validate()
    assert response.status_code == 200 and response.json()["revision"] == 1
