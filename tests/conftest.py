"""Fixtures shared by every suite.

* ``server``: the real server in a subprocess on SQLite (``tests/support/server.py``).
* ``any_server``: the same, parametrised over SQLite and PostgreSQL; the PostgreSQL case
  runs when ``SAFEHOLD_TEST_DATABASE_URL`` is set (each run gets its own database).
* ``pg_url``: that URL, or a skip.
* ``smtp_server``: a real SMTP server (aiosmtpd) collecting messages.
* ``api``: the app in-process behind a TestClient (fast; no sockets).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.support.inprocess import app_client
from tests.support.server import ServerHandle, run_server
from tests.support.smtp import SmtpSink, run_smtp

PG_ENV = "SAFEHOLD_TEST_DATABASE_URL"


def _pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


@pytest.fixture
def pg_url() -> str:
    url = _pg_url()
    if url is None:
        pytest.skip(f"{PG_ENV} is not set")
    return url


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    with run_server(tmp_path) as handle:
        yield handle


@pytest.fixture(
    params=[
        "sqlite",
        pytest.param("postgres", marks=pytest.mark.postgres),
    ]
)
def any_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerHandle]:
    database_url = None
    if request.param == "postgres":
        database_url = _pg_url()
        if database_url is None:
            pytest.skip(f"{PG_ENV} is not set")
    with run_server(tmp_path, database_url=database_url) as handle:
        yield handle


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    with run_smtp() as sink:
        yield sink


@pytest.fixture
def api(tmp_path: Path) -> Iterator[TestClient]:
    with app_client(tmp_path) as client:
        yield client
