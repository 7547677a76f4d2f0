"""Fixtures shared by every suite.

* ``server``: the real server in a subprocess on SQLite (``tests/support/server.py``).
* ``any_server``: the same, parametrised over SQLite and PostgreSQL; the PostgreSQL case
  runs when ``SAFEHOLD_TEST_DATABASE_URL`` is set (each run gets its own database).
* ``pg_url``: that URL, or a skip.
* ``smtp_server``: a real SMTP server (aiosmtpd) collecting messages.
* ``api``: the app in-process behind a TestClient (fast; no sockets), parametrised over
  SQLite and PostgreSQL like ``any_server``: each test gets a fresh database of its own,
  cloned from a migrated template (one per test process) and dropped afterwards.
* ``make_api``: ``make_api(**settings)`` opens another such app on the same backend, for
  tests that need non-default settings (limits, lifetimes).
* ``api_database_url``: the database behind ``api`` / ``make_api``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import settings
from tests.support.inprocess import MakeApi, app_client, pg_database, pg_template
from tests.support.server import ServerHandle, run_server
from tests.support.smtp import SmtpSink, run_smtp

#: Tests never assert times: Hypothesis's per-example deadline would fail a correct example
#: on a machine busy with other work (two xdist workers on two cores), so it is off.
settings.register_profile("safehold", deadline=None)
settings.load_profile("safehold")

PG_ENV = "SAFEHOLD_TEST_DATABASE_URL"


#: Every database-backed fixture runs once per store; the PostgreSQL case is marked.
DATABASES = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]


def _pg_url() -> str | None:
    return os.environ.get(PG_ENV) or None


def _pg_url_or_skip() -> str:
    url = _pg_url()
    if url is None:
        pytest.skip(f"{PG_ENV} is not set")
    return url


@pytest.fixture
def pg_url() -> str:
    return _pg_url_or_skip()


@pytest.fixture
def server(tmp_path: Path) -> Iterator[ServerHandle]:
    with run_server(tmp_path) as handle:
        yield handle


@pytest.fixture(params=DATABASES)
def any_server(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServerHandle]:
    database_url = _pg_url_or_skip() if request.param == "postgres" else None
    with run_server(tmp_path, database_url=database_url) as handle:
        yield handle


@pytest.fixture
def smtp_server() -> Iterator[SmtpSink]:
    with run_smtp() as sink:
        yield sink


@pytest.fixture(scope="session")
def pg_template_url() -> Iterator[str]:
    with pg_template(_pg_url_or_skip()) as template:
        yield template


@pytest.fixture(params=DATABASES)
def api_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'safehold.db'}"
        return
    server_url = _pg_url_or_skip()
    template: str = request.getfixturevalue("pg_template_url")
    with pg_database(server_url, template=template) as url:
        yield url


@pytest.fixture
def make_api(tmp_path: Path, api_database_url: str) -> MakeApi:
    def make(**overrides: Any) -> AbstractContextManager[TestClient]:
        return app_client(tmp_path, **{"database_url": api_database_url, **overrides})

    return make


@pytest.fixture
def api(make_api: MakeApi) -> Iterator[TestClient]:
    with make_api() as client:
        yield client
