"""The app in-process (no sockets): ``create_app`` behind Starlette's TestClient, which is
an ``httpx.Client``, so the helpers in ``accounts.py`` work on it unchanged.

On SQLite each app gets a file of its own under ``tmp_path``. On PostgreSQL
(``pg_database``) each gets a fresh database cloned from a migrated template (made once
per test process by ``pg_template``) and dropped afterwards, so tests never share rows
and parallel workers never collide.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.support.server import create_pg_database, drop_pg_database

from safehold.server.app import create_app
from safehold.server.db.migrate import upgrade
from safehold.server.services import Services
from safehold.server.settings import Settings

CHEAP_PARAMS = {"t": 1, "m_kib": 8, "p": 1}

#: The ``make_api`` fixture: ``make_api(**settings)`` opens an app on the test's database.
MakeApi = Callable[..., AbstractContextManager[TestClient]]


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'safehold.db'}",
        "mail_outbox": tmp_path / "outbox",
        "mail_sync": True,
        "base_url": "http://testserver",
        "secret": "test-secret",
        "default_kdf_params": CHEAP_PARAMS,
        # The test helpers reset with cheap keys; test_reset.py checks the real minimum.
        "min_kdf_params": CHEAP_PARAMS,
        # Tests sign up many accounts from one client; test_enumeration.py checks the limit.
        "signup_limit_per_client": 1_000_000,
    }
    values.update(overrides)
    # _env_prefix must not pick up the developer's SAFEHOLD_* variables: init values win.
    return Settings(**values)


@contextmanager
def pg_template(server_url: str) -> Iterator[str]:
    """A database migrated to head, to clone from; dropped on exit."""
    url = create_pg_database(server_url)
    try:
        upgrade(url)
        yield url
    finally:
        drop_pg_database(url)


@contextmanager
def pg_database(server_url: str, template: str | None = None) -> Iterator[str]:
    """A fresh, empty database (a clone of ``template`` if given); dropped on exit."""
    url = create_pg_database(server_url, template=template)
    try:
        yield url
    finally:
        drop_pg_database(url)


@contextmanager
def app_client(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path, **overrides))
    with TestClient(app) as client:
        yield client


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services
