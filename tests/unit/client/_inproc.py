"""The server app in this process, reached through a synchronous httpx transport (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
from fastapi.testclient import TestClient

from safehold.server.app import create_app
from safehold.server.settings import Settings

# A *.localhost name (RFC 6761): loopback, so plain http is allowed (issue 12 item 9).
BASE_URL = "http://safehold.localhost"


@contextmanager
def inprocess_server(tmp_path: Path, **overrides: object) -> Iterator[httpx.BaseTransport]:
    settings = Settings(
        data_dir=tmp_path / "server",
        mail_outbox=tmp_path / "outbox",
        base_url=BASE_URL,
        mail_sync=True,
        # _reset.reset_account() posts cheap keys; the server's minimum must allow them.
        min_kdf_params={"t": 1, "m_kib": 8, "p": 1},
        **{"signup_limit_per_client": 1_000_000, **overrides},  # type: ignore[arg-type]
    )
    (tmp_path / "server").mkdir(exist_ok=True)
    app = create_app(settings)
    with TestClient(app, base_url=BASE_URL) as client:
        # TestClient drives the ASGI app synchronously; its transport is what httpx.Client takes.
        yield client._transport
