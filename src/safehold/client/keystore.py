"""Where this device keeps the account key between unlocks.

The OS keychain (through ``keyring``) when a real backend works: the key is then encrypted
by the keychain and released only to this user's session. A backend that keeps secrets in
plaintext (``keyrings.alt``'s files, a null backend) is refused: it would be a weaker 0600
file under a reassuring name. Otherwise, or with
``SAFEHOLD_KEYSTORE=file``, a file readable only by this user (0600, in a 0700 directory):
that stops other users on the machine, not a process running as this user or someone who
copies the disk. Either way the account key alone opens nothing; the password is needed
as well (docs/security.md).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
from pathlib import Path
from typing import Any, Protocol

from safehold.crypto import AccountKey, AccountKeyError

from .errors import ClientError, Tampered
from .profile import Profile

SERVICE = "safehold"


class KeyStore(Protocol):
    name: str

    def save(self, account_id: str, key: AccountKey) -> None: ...

    def load(self, account_id: str) -> AccountKey | None: ...

    def delete(self, account_id: str) -> None: ...


class FileKeyStore:
    """The account key as text in ``<home>/keys/<account_id>.key``, mode 0600."""

    name = "file (0600)"

    def __init__(self, profile: Profile) -> None:
        self.profile = profile
        #: Why the file was chosen over a keyring the user has, if that is why.
        self.fallback_reason: str | None = None

    def save(self, account_id: str, key: AccountKey) -> None:
        self.profile.ensure()
        path = self.profile.key_path(account_id)
        tmp = path.with_suffix(".tmp")
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as handle:
            handle.write(key.to_text() + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def load(self, account_id: str) -> AccountKey | None:
        path = self.profile.key_path(account_id)
        try:
            text = path.read_text()
        except FileNotFoundError:
            return None
        try:
            return AccountKey.parse(text)
        except AccountKeyError:
            raise Tampered(f"the stored account key in {path} is damaged") from None

    def delete(self, account_id: str) -> None:
        self.profile.key_path(account_id).unlink(missing_ok=True)


#: Backends shipped with ``keyring`` that are real OS keychains, by module: their names
#: as people know them.
_OS_KEYCHAINS = {
    "keyring.backends.SecretService": "Secret Service keychain",
    "keyring.backends.libsecret": "Secret Service keychain (libsecret)",
    "keyring.backends.kwallet": "KWallet",
    "keyring.backends.macOS": "macOS Keychain",
    "keyring.backends.Windows": "Windows Credential Locker",
}
#: Backends that store secrets in clear (or nowhere): by module prefix and class name.
_PLAINTEXT_MODULES = ("keyrings.alt", "keyring.backends.null", "keyring.backends.fail")
_PLAINTEXT_NAMES = ("plaintext", "uncrypted", "null")


def _qualified(backend: Any) -> str:
    cls = type(backend)
    return f"{cls.__module__}.{cls.__qualname__}"


def _members(backend: Any) -> list[Any]:
    """The backends a ``ChainerBackend`` writes to; the backend itself otherwise."""
    chained = getattr(backend, "backends", None)
    return list(chained) if isinstance(chained, (list, tuple)) else [backend]


def backend_name(backend: Any) -> str:
    """What a person should read for ``backend``: the keychain's own name, never a generic
    "OS keychain" for something that is not one."""
    members = _members(backend)
    if members != [backend]:
        return "keyring chain (" + ", ".join(backend_name(member) for member in members) + ")"
    module = type(backend).__module__
    if module in _OS_KEYCHAINS:
        return _OS_KEYCHAINS[module]
    return f"keyring backend {_qualified(backend)}"


def plaintext_backend(backend: Any) -> str | None:
    """The qualified name of a backend (or chain member) that stores in plaintext, if any."""
    for member in _members(backend):
        module = type(member).__module__
        name = type(member).__qualname__.lower()
        if module.startswith(_PLAINTEXT_MODULES) or any(word in name for word in _PLAINTEXT_NAMES):
            return _qualified(member)
    return None


class KeyringKeyStore:
    """The OS keychain. Entries are named per profile so two profiles never collide."""

    name = "OS keychain"

    def __init__(self, profile: Profile) -> None:
        import keyring

        self._keyring = keyring
        self.name = backend_name(keyring.get_keyring())
        self._tag = hashlib.sha256(str(profile.home).encode()).hexdigest()[:12]

    def _user(self, account_id: str) -> str:
        return f"{account_id}@{self._tag}"

    def save(self, account_id: str, key: AccountKey) -> None:
        self._keyring.set_password(SERVICE, self._user(account_id), key.to_text())

    def load(self, account_id: str) -> AccountKey | None:
        text = self._keyring.get_password(SERVICE, self._user(account_id))
        if text is None:
            return None
        try:
            return AccountKey.parse(text)
        except AccountKeyError:
            raise Tampered("the account key in the OS keychain is damaged") from None

    def delete(self, account_id: str) -> None:
        with contextlib.suppress(Exception):
            self._keyring.delete_password(SERVICE, self._user(account_id))


def _current_backend() -> Any | None:
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
    except Exception:
        return None
    if isinstance(backend, fail.Keyring):
        return None
    return backend if float(getattr(backend, "priority", 0)) > 0 else None


def keyring_works() -> bool:
    """True when ``keyring`` has a backend that actually stores secrets, and not in clear."""
    backend = _current_backend()
    return backend is not None and plaintext_backend(backend) is None


def open_keystore(profile: Profile, mode: str = "auto") -> KeyStore:
    if mode != "auto":
        return FileKeyStore(profile)
    backend = _current_backend()
    if backend is None:
        return FileKeyStore(profile)
    plaintext = plaintext_backend(backend)
    if plaintext is not None:
        store = FileKeyStore(profile)
        # Said at sign-up and by ``status``: the person chose a keychain and gets a file.
        store.fallback_reason = f"the keyring backend {plaintext} stores keys in plaintext and was refused"
        store.name = f"file (0600) (refused {plaintext}: it stores keys in plaintext)"
        return store
    return KeyringKeyStore(profile)


class CombinedKeyStore:
    """Reads from either place, so switching ``SAFEHOLD_KEYSTORE`` never strands a key.

    A keychain can look usable and still refuse a write (a locked Secret Service
    collection): the key then goes to the 0600 file instead, and :meth:`location` says so.
    """

    def __init__(self, primary: KeyStore, fallback: KeyStore) -> None:
        self.primary = primary
        self.fallback = fallback
        self.name = primary.name
        #: Why the last save went to the fallback, if it did.
        self.fallback_reason: str | None = None

    def save(self, account_id: str, key: AccountKey) -> None:
        try:
            self.primary.save(account_id, key)
        except Exception as exc:  # any keychain failure: the key must land somewhere
            self.fallback_reason = f"the {self.primary.name} refused it: {_describe(exc)}"
            self.fallback.save(account_id, key)
            return
        self.fallback_reason = None
        # A key left in the file by an earlier fallback would outlive a delete of the new one.
        self.fallback.delete(account_id)

    def load(self, account_id: str) -> AccountKey | None:
        try:
            found = self.primary.load(account_id)
        except Tampered:
            raise
        except Exception as exc:
            found = self.fallback.load(account_id)
            if found is None:
                raise ClientError(
                    f"the {self.primary.name} could not be read: {_describe(exc)}",
                    hint="unlock the keychain (or set SAFEHOLD_KEYSTORE=file and sign in again)",
                ) from None
            return found
        return found or self.fallback.load(account_id)

    def delete(self, account_id: str) -> None:
        self.primary.delete(account_id)
        self.fallback.delete(account_id)

    def location(self, account_id: str) -> str:
        """Where the key of ``account_id`` is kept, for ``status``."""
        try:
            in_primary = self.primary.load(account_id) is not None
        except Exception:
            in_primary = False
        if in_primary:
            return self.primary.name
        if self.fallback.load(account_id) is not None:
            return f"{self.fallback.name} (the {self.primary.name} refused it)"
        return "nowhere"


def key_location(store: KeyStore, account_id: str) -> str:
    """A person's description of where ``store`` keeps the key of ``account_id``."""
    if isinstance(store, CombinedKeyStore):
        return store.location(account_id)
    return store.name


def _describe(exc: BaseException) -> str:
    return str(exc) or exc.__class__.__name__


def keystore_for(profile: Profile, mode: str = "auto") -> KeyStore:
    primary = open_keystore(profile, mode)
    if isinstance(primary, FileKeyStore):
        return primary
    return CombinedKeyStore(primary, FileKeyStore(profile))


def key_file_mode(path: Path) -> int:
    """Permission bits of a key file (for tests and ``status``)."""
    return path.stat().st_mode & 0o777
