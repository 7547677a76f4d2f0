"""The app in-process (no sockets): ``create_app`` behind Starlette's TestClient, which is
an ``httpx.Client``, so the helpers in ``accounts.py`` work on it unchanged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient

from safehold.server.app import create_app
from safehold.server.services import Services
from safehold.server.settings import Settings

CHEAP_PARAMS = {"t": 1, "m_kib": 8, "p": 1}


def make_settings(tmp_path: Path, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "data_dir": tmp_path,
        "database_url": f"sqlite:///{tmp_path / 'safehold.db'}",
        "mail_outbox": tmp_path / "outbox",
        "mail_sync": True,
        "base_url": "http://testserver",
        "secret": "test-secret",
        "default_kdf_params": CHEAP_PARAMS,
    }
    values.update(overrides)
    # _env_prefix must not pick up the developer's SAFEHOLD_* variables: init values win.
    return Settings(**values)


@contextmanager
def app_client(tmp_path: Path, **overrides: Any) -> Iterator[TestClient]:
    app = create_app(make_settings(tmp_path, **overrides))
    with TestClient(app) as client:
        yield client


def services_of(client: TestClient) -> Services:
    services: Services = client.app.state.services  # type: ignore[attr-defined]
    return services
