"""Property-based requests from /openapi.json (a bounded number per operation): no 500s,
and every answer — errors included — matches the published schema."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.support.inprocess import make_settings

from safehold.server.app import create_app

_tmp = Path(__import__("tempfile").mkdtemp(prefix="safehold-schemathesis-"))
app = create_app(
    make_settings(
        _tmp, login_free_failures=10_000, request_limit_per_address=10_000, request_limit_per_client=10_000
    )
)
# The HTML pages (owned by the reset-pages work) are tested by their own suite.
schema = schemathesis.openapi.from_asgi("/openapi.json", app).include(path_regex=r"^/(api/|healthz)")


@pytest.fixture(scope="module", autouse=True)
def _lifespan() -> Iterator[None]:
    # Run the app's start-up (migrations) once for the module.
    from fastapi.testclient import TestClient

    with TestClient(app):
        yield


@schema.parametrize()
@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
def test_api_never_fails_and_matches_its_schema(case: schemathesis.Case) -> None:
    case.call_and_validate(
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ]
    )
