"""Issue 12 item 12: with ``keyrings.alt`` installed its plaintext keyring was chosen and
reported as "OS keychain". A backend that stores in plaintext is refused (the key goes to
the 0600 file, and the person is told), and every backend is reported by its real name."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.backends.chainer import ChainerBackend
from tests.unit.client._inproc import BASE_URL

from safehold.client.account import AccountService
from safehold.client.keystore import (
    FileKeyStore,
    KeyringKeyStore,
    backend_name,
    key_file_mode,
    key_location,
    keyring_works,
    open_keystore,
)
from safehold.client.profile import Profile
from safehold.client.settings import ClientSettings
from safehold.crypto import AccountKey, KdfParams


class PlaintextKeyring(KeyringBackend):
    """Stands in for ``keyrings.alt.file.PlaintextKeyring`` (not installed here, and it must
    not be: it would change other tests' keyring): same module and name, and it writes the
    secret to a file in clear, as the real one does."""

    priority = 0.5  # type: ignore[assignment]

    def __init__(self, path: Path) -> None:
        super().__init__()
        self.path = path

    def get_password(self, service: str, username: str) -> str | None:
        return self.path.read_text() if self.path.exists() else None

    def set_password(self, service: str, username: str, password: str) -> None:
        self.path.write_text(password)

    def delete_password(self, service: str, username: str) -> None:
        self.path.unlink(missing_ok=True)


PlaintextKeyring.__module__ = "keyrings.alt.file"


class SecretServiceLike(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        return None

    def set_password(self, service: str, username: str, password: str) -> None:
        pass

    def delete_password(self, service: str, username: str) -> None:
        pass


SecretServiceLike.__module__ = "keyring.backends.SecretService"


@pytest.fixture
def use_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


def test_a_plaintext_keyring_is_refused_and_the_key_goes_to_the_0600_file(
    use_keyring: Callable[[KeyringBackend], None], tmp_path: Path, transport: httpx.BaseTransport
) -> None:
    clear_file = tmp_path / "keyring_pass.cfg"
    use_keyring(PlaintextKeyring(clear_file))
    assert not keyring_works()
    settings = ClientSettings(
        home=tmp_path / "a", server=BASE_URL, kdf_floor=KdfParams(1, 8, 1),
        test_only_insecure_signup_kdf=KdfParams(1, 8, 1), keystore="auto",
        device_name="a", runtime_dir=tmp_path / "run",
    )  # fmt: skip
    service = AccountService(settings, transport=transport)
    unlocked, key = service.signup("ann@example.com", "correct horse")
    account_id = unlocked.account_id
    unlocked.close()
    assert not clear_file.exists()  # nothing was written in clear
    path = service.profile.key_path(account_id)
    assert key_file_mode(path) == 0o600 and AccountKey.parse(path.read_text()) == key
    where = key_location(service.keystore, account_id)
    assert "OS keychain" not in where
    assert where.startswith("file (0600)") and "keyrings.alt.file.PlaintextKeyring" in where
    assert "plaintext" in (getattr(service.keystore, "fallback_reason", None) or "")


def test_a_chain_holding_a_plaintext_keyring_is_refused(
    use_keyring: Callable[[KeyringBackend], None], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chain = ChainerBackend()
    monkeypatch.setattr(ChainerBackend, "backends", [SecretServiceLike(), PlaintextKeyring(tmp_path / "x")])
    use_keyring(chain)
    assert isinstance(open_keystore(Profile(tmp_path), "auto"), FileKeyStore)


def test_a_real_keychain_is_named_as_itself(
    use_keyring: Callable[[KeyringBackend], None], tmp_path: Path
) -> None:
    use_keyring(SecretServiceLike())
    store = open_keystore(Profile(tmp_path), "auto")
    assert isinstance(store, KeyringKeyStore) and store.name == "Secret Service keychain"
    named = backend_name(PlaintextKeyring(tmp_path / "x"))
    assert named == "keyring backend keyrings.alt.file.PlaintextKeyring"
