from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from tests.unit.client._inproc import BASE_URL, inprocess_server

from safehold.client.account import AccountService
from safehold.client.settings import ClientSettings
from safehold.crypto import KdfParams

CHEAP = KdfParams(t=1, m_kib=8, p=1)


@pytest.fixture
def transport(tmp_path: Path) -> Iterator[httpx.BaseTransport]:
    with inprocess_server(tmp_path) as t:
        yield t


@pytest.fixture
def make_service(tmp_path: Path, transport: httpx.BaseTransport) -> Callable[[str], AccountService]:
    def make(name: str) -> AccountService:
        settings = ClientSettings(
            home=tmp_path / name,
            server=BASE_URL,
            kdf_floor=CHEAP,
            test_only_insecure_signup_kdf=CHEAP,
            keystore="file",
            device_name=name,
            runtime_dir=tmp_path / "run",
        )
        return AccountService(settings, transport=transport)

    return make
