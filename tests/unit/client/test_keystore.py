from __future__ import annotations

import stat
from pathlib import Path

import pytest

from safehold.client.errors import Tampered
from safehold.client.keystore import FileKeyStore, keystore_for
from safehold.client.profile import Profile
from safehold.crypto import AccountKey


def test_file_keystore_is_private(tmp_path: Path) -> None:
    profile = Profile(tmp_path / "home")
    store = FileKeyStore(profile)
    key = AccountKey.generate()
    store.save("aa" * 16, key)
    path = profile.key_path("aa" * 16)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert store.load("aa" * 16) == key
    store.delete("aa" * 16)
    assert store.load("aa" * 16) is None


def test_damaged_key_file_is_reported(tmp_path: Path) -> None:
    profile = Profile(tmp_path)
    store = FileKeyStore(profile)
    store.save("aa" * 16, AccountKey.generate())
    profile.key_path("aa" * 16).write_text("SH1-garbage")
    with pytest.raises(Tampered):
        store.load("aa" * 16)


def test_file_mode_is_forced(tmp_path: Path) -> None:
    assert isinstance(keystore_for(Profile(tmp_path), "file"), FileKeyStore)
