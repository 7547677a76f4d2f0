"""A keychain that looks usable but refuses writes (a locked Secret Service) never strands an
account: the key goes to the 0600 file, and sign-up stores it before the account exists."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import keyring
import pytest
from keyring.backend import KeyringBackend
from keyring.errors import KeyringLocked
from tests.unit.client._inproc import BASE_URL

from safehold.client.account import AccountService
from safehold.client.errors import ClientError, SignupIncomplete, Unreachable
from safehold.client.keystore import CombinedKeyStore, key_file_mode, key_location
from safehold.client.settings import ClientSettings
from safehold.crypto import AccountKey, KdfParams

EMAIL = "ann@example.com"
PW = "correct horse"


class LockedKeyring(KeyringBackend):
    """Claims to work (positive priority) and refuses everything, like a locked collection."""

    priority = 5  # type: ignore[assignment]

    def get_password(self, service: str, username: str) -> str | None:
        raise KeyringLocked("the collection is locked")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise KeyringLocked("the collection is locked")

    def delete_password(self, service: str, username: str) -> None:
        raise KeyringLocked("the collection is locked")


class MemoryKeyring(KeyringBackend):
    priority = 5  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        self.entries.pop((service, username), None)


@pytest.fixture
def use_keyring() -> Iterator[Callable[[KeyringBackend], None]]:
    previous = keyring.get_keyring()
    yield keyring.set_keyring
    keyring.set_keyring(previous)


@pytest.fixture
def auto_service(tmp_path: Path, transport: httpx.BaseTransport) -> Callable[[str], AccountService]:
    def make(name: str) -> AccountService:
        settings = ClientSettings(
            home=tmp_path / name, server=BASE_URL, kdf_floor=KdfParams(1, 8, 1),
            test_only_insecure_signup_kdf=KdfParams(1, 8, 1), keystore="auto",
            device_name=name, runtime_dir=tmp_path / "run",
        )  # fmt: skip
        return AccountService(settings, transport=transport)

    return make


def test_signup_with_a_locked_keychain_keeps_the_key_in_the_file(
    use_keyring: Callable[[KeyringBackend], None], auto_service: Callable[[str], AccountService]
) -> None:
    use_keyring(LockedKeyring())
    service = auto_service("a")
    assert isinstance(service.keystore, CombinedKeyStore)
    unlocked, key = service.signup(EMAIL, PW)
    account_id = unlocked.account_id
    unlocked.close()
    path = service.profile.key_path(account_id)
    assert key_file_mode(path) == 0o600
    assert AccountKey.parse(path.read_text()) == key
    assert "refused" in (service.keystore.fallback_reason or "")
    assert key_location(service.keystore, account_id) == (
        f"file (0600) (the keyring backend {__name__}.LockedKeyring refused it)"
    )
    # A later command (a new service, keychain still locked) unlocks with the file's key.
    again = auto_service("a").unlock(PW)
    assert again.account_id == account_id
    again.close()


def test_a_working_keychain_holds_the_key_and_no_file_is_left(
    use_keyring: Callable[[KeyringBackend], None], auto_service: Callable[[str], AccountService]
) -> None:
    memory = MemoryKeyring()
    use_keyring(memory)
    service = auto_service("a")
    unlocked, key = service.signup(EMAIL, PW)
    assert list(memory.entries.values()) == [key.to_text()]
    assert not service.profile.key_path(unlocked.account_id).exists()
    assert key_location(service.keystore, unlocked.account_id) == f"keyring backend {__name__}.MemoryKeyring"
    unlocked.close()


def test_a_keychain_that_cannot_be_read_and_no_file_is_a_clear_error(
    use_keyring: Callable[[KeyringBackend], None], auto_service: Callable[[str], AccountService]
) -> None:
    use_keyring(LockedKeyring())
    store = auto_service("a").keystore
    with pytest.raises(ClientError, match="LockedKeyring could not be read: the collection is locked"):
        store.load("ab" * 16)


def test_signup_stores_the_key_before_the_server_call_and_removes_it_if_that_fails(
    tmp_path: Path,
) -> None:
    settings = ClientSettings(
        home=tmp_path / "a", server="http://127.0.0.1:9", kdf_floor=KdfParams(1, 8, 1),
        test_only_insecure_signup_kdf=KdfParams(1, 8, 1), keystore="file",
        device_name="a", runtime_dir=tmp_path / "run",
    )  # fmt: skip
    seen: list[list[str]] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(sorted(p.name for p in (tmp_path / "a" / "keys").glob("*.key")))
        raise httpx.ConnectError("down", request=request)

    service = AccountService(settings, transport=httpx.MockTransport(handler))
    with pytest.raises(Unreachable):
        service.signup(EMAIL, PW)
    assert len(seen) == 1 and len(seen[0]) == 1  # the key was on disk when the server was asked
    assert list((tmp_path / "a" / "keys").glob("*.key")) == []  # and removed once it failed


def test_a_failure_after_the_account_exists_still_hands_over_the_key(
    auto_service: Callable[[str], AccountService],
    use_keyring: Callable[[KeyringBackend], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    use_keyring(LockedKeyring())
    service = auto_service("a")

    def full_disk(**_: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(service, "_create_local", full_disk)
    with pytest.raises(SignupIncomplete) as caught:
        service.signup(EMAIL, PW)
    error = caught.value
    key = AccountKey.parse(error.account_key)
    assert error.account_key in error.message and "No space left on device" in error.message
    assert f"safehold login {EMAIL}" in (error.hint or "")
    # The key is on the device too, and the account really exists: signing in works.
    (key_file,) = (service.profile.home / "keys").glob("*.key")
    assert AccountKey.parse(key_file.read_text()) == key
    again = auto_service("b").login(EMAIL, PW, key)
    assert again.account_id == key_file.stem
    again.close()
