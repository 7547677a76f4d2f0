"""Account flows for a vault kept in a folder (spec/folder.md): sign-up, sign-in on a new
device, unlock, password change and reset, with no server at all.

The folder's header (client/folder/header.py) holds what the server holds for an account:
the KDF salt and parameters and the sealed keyset. The header is untrusted storage like
the server: a forged one can refuse service, never open the vault (the keyset's AD binds
the account and generation, and Argon2id parameters below this device's floor are
refused), and one rolled back to an older ``keyset_version`` than this device has seen is
ignored, so an old password never comes back.

The local vault records ``transport = folder`` and the folder's path (store meta); its
``server`` is empty. Everything else about it — items, outbox, conflicts, archives on a
reset — is the same as a server vault's.

    wrong password            AuthFailed (3)
    wrong account key         WrongAccountKey (4): the header's key check tells it apart
    mistyped account key      AccountKeyTypo / AccountKeyFormat (4), before anything is read
    folder with no vault      NotAFolderVault (20)
    another account's folder  ForeignFolderVault (21)
"""

from __future__ import annotations

import hmac
import secrets
import sqlite3
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from safehold.crypto import (
    AccountKey,
    DerivedKeys,
    KdfParams,
    TamperedData,
    account_key_check,
    b64decode,
    b64encode,
    new_kdf_salt,
    new_vault_key,
    open_keyset,
    seal_keyset,
)

from .errors import (
    AuthFailed,
    ClientError,
    FolderDamaged,
    ForeignFolderVault,
    KeyRotated,
    KeyRotationIncomplete,
    NotAFolderVault,
    ResetIncomplete,
    SignupIncomplete,
    UsageError,
    WrongAccountKey,
)
from .folder.header import (
    KEEP,
    FolderHeader,
    change_keyset,
    create_folder_vault,
    generation_after_damage,
    read_header,
    start_new_generation,
    start_over_damaged,
)
from .store import VaultStore
from .transport import StorageUnavailable

if TYPE_CHECKING:
    from .account import AccountService, Unlocked

__all__ = ["FOLDER", "FolderAccounts", "folder_of", "is_folder", "offer_force"]

#: The value of the local vault's ``transport`` meta for a folder vault (absent: a server).
FOLDER = "folder"


def is_folder(store: VaultStore) -> bool:
    # The folder setting is what transports.open_transport goes by too.
    return bool(store.folder)


def folder_of(store: VaultStore) -> Path:
    return Path(store.require("folder"))


def kdf_params(header: FolderHeader) -> KdfParams:
    p = header.kdf_params
    return KdfParams(t=p["iterations"], m_kib=p["memory_cost"], p=p["lanes"])


def header_params(params: KdfParams) -> dict[str, int]:
    return {"iterations": params.t, "memory_cost": params.m_kib, "lanes": params.p}


def _params_json(params: KdfParams) -> str:
    from .account import _params_json as encode

    return encode(params)


def offer_force(exc: FolderDamaged, path: Path) -> FolderDamaged:
    """``exc`` with the way forward a reset has: ``--force`` (nothing is deleted)."""
    exc.hint = (
        f"{exc.hint}; or start the vault over anyway: `safehold reset --folder {path} --force EMAIL` "
        "(the unreadable header and the old files are kept in its archive/)"
    )
    return exc


def _same_email(a: str, b: str) -> bool:
    return a.strip().casefold() == b.strip().casefold()


class FolderAccounts:
    """The folder-vault half of :class:`~safehold.client.account.AccountService`."""

    def __init__(self, service: AccountService) -> None:
        self.service = service

    # --- sign-up and sign-in ------------------------------------------------------------

    def signup(
        self, path: Path, email: str, password: str, hint: str | None = None
    ) -> tuple[Unlocked, AccountKey]:
        """A new vault in ``path`` (created if missing; refused if it holds one)."""
        service = self.service
        path = path.expanduser().absolute()
        key = AccountKey.generate()
        account_id = uuid.uuid4().hex
        kdf_salt = new_kdf_salt()
        params = service.settings.signup_params
        keys = service.derive(email, password, key, account_id, kdf_salt, params)
        vk = new_vault_key()
        header = FolderHeader(
            account_id=account_id, email=email, generation=1, keyset_version=1, kdf_salt=kdf_salt,
            kdf_params=header_params(params), keyset=seal_keyset(keys.auk, vk, bytes.fromhex(account_id), 1),
            hint=hint or None, key_check=account_key_check(key, bytes.fromhex(account_id)),
        )  # fmt: skip
        # As for a server account: the key is kept before the vault exists, so a vault is
        # never left with no key anywhere.
        service.profile.ensure()
        service.keystore.save(account_id, key)
        try:
            create_folder_vault(path, header)
        except BaseException:
            service.keystore.delete(account_id)
            raise
        try:
            unlocked = self._create_local(path, header, vk, key=None)
        except ClientError as exc:
            raise SignupIncomplete(email, key, exc.message) from exc
        except (OSError, sqlite3.DatabaseError) as exc:
            raise SignupIncomplete(email, key, str(exc)) from exc
        return unlocked, key

    def header(self, path: Path, email: str | None = None) -> FolderHeader:
        """The header of the vault in ``path``; :class:`ForeignFolderVault` if it is not
        ``email``'s (when given)."""
        header = read_header(path.expanduser().absolute())
        if email is not None and not _same_email(header.email, email):
            raise ForeignFolderVault(
                f"{path} holds another account's vault, not {email}'s",
                hint="check the folder path, or the email",
            )
        return header

    def stored_key(self, header: FolderHeader) -> AccountKey | None:
        """The account key this profile still holds for the folder's account, if any (a
        device signed out, or whose vault a reset claim set aside)."""
        service = self.service
        key = service.keystore.load(header.account_id)
        if key is not None:
            return key
        for manifest in service.archives.all():
            if manifest.account_id == header.account_id and manifest.restored_at is None:
                found = service.archives.account_key(manifest)
                if found is not None and self._key_fits(header, found):
                    return found
        return None

    @staticmethod
    def _key_fits(header: FolderHeader, key: AccountKey) -> bool:
        if header.key_check is None:
            return True  # a header without a check: only the keyset can tell
        return hmac.compare_digest(account_key_check(key, bytes.fromhex(header.account_id)), header.key_check)

    def check_key(self, header: FolderHeader, key: AccountKey, path: Path) -> None:
        """:class:`WrongAccountKey` if ``key`` is not the key of the folder's account."""
        if not self._key_fits(header, key):
            raise WrongAccountKey(
                f"this account key is not the key of the vault in {path}",
                hint="check it against the Emergency Kit of this vault (a reset makes a new key)",
            )

    def _open(self, header: FolderHeader, password: str, key: AccountKey) -> tuple[DerivedKeys, bytes]:
        """The derived keys and the vault key from ``header``; :class:`AuthFailed` if the
        password does not open the keyset."""
        keys = self.service.derive(
            header.email, password, key, header.account_id, header.kdf_salt, kdf_params(header)
        )
        try:
            vk = open_keyset(keys.auk, header.keyset, bytes.fromhex(header.account_id), header.generation)
        except TamperedData:
            if header.key_check is None:
                raise AuthFailed("password or account key incorrect") from None
            raise AuthFailed("password incorrect") from None
        return keys, vk

    def login(self, path: Path, email: str, password: str, key: AccountKey) -> Unlocked:
        """Join the vault in ``path`` from this device; the caller syncs to fill it."""
        path = path.expanduser().absolute()
        header = self.header(path, email)
        self.check_key(header, key, path)
        _keys, vk = self._open(header, password, key)
        return self._create_local(path, header, vk, key=key)

    def _create_local(
        self, path: Path, header: FolderHeader, vk: bytes, *, key: AccountKey | None
    ) -> Unlocked:
        # A vault this profile keeps for the same generation (signing in again after a key
        # rotation) keeps its device id: its writes are numbered in that id's sequence, and
        # a new id would leave the numbers it used looking withheld to every other device.
        device_id = secrets.token_hex(16)
        here = self.service.profile.vault_path(header.account_id)
        kept = self.service._reusable_store(here, header.generation)
        if kept is not None:
            try:
                device_id = kept.meta("device_id") or device_id
            finally:
                kept.close()
        return self.service._create_local(
            server="", email=header.email, account_id=header.account_id, generation=header.generation,
            kdf_salt=header.kdf_salt, params=kdf_params(header), keyset=b64encode(header.keyset),
            device_id=device_id, hint=header.hint, key=key, vk=vk,
            extra={"transport": FOLDER, "folder": str(path), "keyset_version": str(header.keyset_version)},
        )  # fmt: skip

    # --- unlock -------------------------------------------------------------------------

    def unlock(self, store: VaultStore, password: str, *, online: bool) -> Unlocked:
        """Unlock from the cached keyset; when the folder can be read, its header decides:
        a newer keyset (a password changed on another device) must open with ``password``,
        and the old password is refused from then on. A folder that cannot be read just now
        leaves the cached keyset in force (unlocking works offline)."""
        from .account import Unlocked, _open_cached_keyset

        service = self.service
        account_id = store.account_id
        key = service.account_key(account_id)
        cached_salt = b64decode(store.require("kdf_salt"))
        keys = service.derive(store.email, password, key, account_id, cached_salt, store.kdf_params)
        vk = _open_cached_keyset(store, keys)
        header = self._current_header(store) if online else None
        if header is None:
            if vk is None:
                raise service._auth_failed(store)
            return Unlocked(service, store, vk)
        if vk is None and header.keyset == b64decode(store.require("keyset")):
            raise service._auth_failed(store)
        if header.generation != store.generation:
            if vk is None:
                raise service._auth_failed(store)
            raise service.set_aside(
                store, f"the folder's vault is at generation {header.generation} (a reset)", header.generation
            )
        known = int(store.meta("keyset_version") or 1)
        newer = header.keyset_version > known or (
            header.keyset_version == known and header.keyset != b64decode(store.require("keyset"))
        )
        if not newer:
            if vk is None:
                raise service._auth_failed(store)
            return Unlocked(service, store, vk)
        if not self._key_fits(header, key):
            # The account key was replaced on another device (rotate-key): this device keeps
            # its vault, and needs the new key, which only the person has.
            raise KeyRotated(
                hint=f"sign in with the new key: `safehold login {store.email} --folder {folder_of(store)} "
                "--kit FILE` (or it asks for the key)"
            )
        # The password was changed on another device: only the new one opens the new keyset.
        try:
            _keys, new_vk = self._open(header, password, key)
        except AuthFailed:
            raise AuthFailed(
                "password incorrect",
                hint="the password was changed on another device: use the new one",
            ) from None
        self._take_header(store, header)
        return Unlocked(service, store, new_vk)

    @staticmethod
    def _current_header(store: VaultStore) -> FolderHeader | None:
        try:
            return read_header(folder_of(store), store.account_id)
        except (StorageUnavailable, NotAFolderVault, FolderDamaged, ForeignFolderVault):
            # Not readable, not there (an unmounted drive) or replaced: the cached keyset
            # stays in force; `sync` reports what is wrong with the folder.
            return None

    @staticmethod
    def _take_header(store: VaultStore, header: FolderHeader) -> None:
        store.set_meta(
            kdf_salt=b64encode(header.kdf_salt), kdf_params=_params_json(kdf_params(header)),
            keyset=b64encode(header.keyset), keyset_version=str(header.keyset_version),
            hint=header.hint or "",
        )  # fmt: skip

    # --- password change and reset ------------------------------------------------------

    def change_password(self, unlocked: Unlocked, current: str, new: str, hint: str | None) -> None:
        """Write the new keyset to the folder's header (``keyset_version + 1``): other
        devices ask for the new password at their next unlock and refuse the old one."""
        service = self.service
        store = unlocked.store
        account_id = store.account_id
        path = folder_of(store)
        key = service.account_key(account_id)
        header = read_header(path, account_id)
        if header.generation != store.generation:
            raise service.set_aside(
                store, f"the folder's vault is at generation {header.generation} (a reset)", header.generation
            )
        self._open(header, current, key)  # the current password, against the folder's keyset
        params = kdf_params(header)
        new_salt = new_kdf_salt()
        fresh = service.derive(store.email, new, key, account_id, new_salt, params)
        keyset = seal_keyset(fresh.auk, unlocked.vk, bytes.fromhex(account_id), store.generation)
        written = change_keyset(
            path, account_id, keyset, new_salt, header_params(params),
            hint=KEEP if hint is None else (hint or None),
        )  # fmt: skip
        self._take_header(store, written)

    def _account_kept_for(self, path: Path) -> str | None:
        """The account id of this profile's vault kept in ``path``, if it has one."""
        service = self.service
        account_id = service.profile.current
        if account_id is None:
            return None
        try:
            store = VaultStore.open(service.profile.vault_path(account_id))
        except (OSError, sqlite3.DatabaseError):
            return None
        try:
            kept = store.meta("folder")
        except sqlite3.DatabaseError:
            return None
        finally:
            store.close()
        return account_id if kept is not None and Path(kept) == path else None

    def rotate_key(self, unlocked: Unlocked, password: str) -> AccountKey:
        """A new account key for the vault (``safehold rotate-key``): the same password and
        vault key, a new salt, the keyset wrapped under the new key and the header's key check
        replaced (``keyset_version + 1``). Items are not touched. Other devices keep their
        data and ask for the new key at their next unlock (:class:`KeyRotated`)."""
        service = self.service
        store = unlocked.store
        account_id = store.account_id
        path = folder_of(store)
        header = read_header(path, account_id)
        if header.generation != store.generation:
            raise service.set_aside(
                store, f"the folder's vault is at generation {header.generation} (a reset)", header.generation
            )
        old_key = service.account_key(account_id)
        self._open(header, password, old_key)  # the password, against the folder's keyset
        new_key = AccountKey.generate()
        params = kdf_params(header)
        new_salt = new_kdf_salt()
        fresh = service.derive(store.email, password, new_key, account_id, new_salt, params)
        keyset = seal_keyset(fresh.auk, unlocked.vk, bytes.fromhex(account_id), store.generation)
        # As on a server: the new key is kept before the header names it, so a key that
        # exists nowhere never locks the vault.
        pending = f"{account_id}-pending"
        service.keystore.save(pending, new_key)
        try:
            written = change_keyset(
                path, account_id, keyset, new_salt, header_params(params),
                key_check=account_key_check(new_key, bytes.fromhex(account_id)),
            )  # fmt: skip
        except (OSError, ClientError, StorageUnavailable):
            service.keystore.delete(pending)
            raise
        try:
            service.keystore.save(account_id, new_key)
            service.keystore.delete(pending)
            self._take_header(store, written)
        except (OSError, ClientError) as exc:
            message = exc.message if isinstance(exc, ClientError) else str(exc)
            raise KeyRotationIncomplete(new_key, message) from exc
        return new_key

    def reset(
        self, path: Path, email: str | None, password: str, hint: str | None, *, force: bool = False
    ) -> tuple[Unlocked, AccountKey, FolderHeader]:
        """Start the vault in ``path`` over: a new account key and vault key, the new (or
        the same) password, generation + 1. The folder moves the old generation's files into
        its archive; this device archives its own copy (nothing is deleted anywhere).

        With ``force``, a folder whose header cannot be read (:class:`FolderDamaged`) starts
        over too: ``email`` must be given, the account id is this profile's for the folder
        (a new one if it has none), and the unreadable header goes into the archive."""
        service = self.service
        path = path.expanduser().absolute()
        damaged = False
        try:
            current = self.header(path, email)
            account_id, owner, generation = current.account_id, current.email, current.generation + 1
        except FolderDamaged as exc:
            if not force:
                raise offer_force(exc, path) from None
            if email is None:
                raise UsageError("give the account's EMAIL: the folder's header cannot say it") from None
            account_id = self._account_kept_for(path) or uuid.uuid4().hex
            owner, generation, damaged = email, generation_after_damage(path), True
        key = AccountKey.generate()
        kdf_salt = new_kdf_salt()
        params = service.settings.signup_params
        keys = service.derive(owner, password, key, account_id, kdf_salt, params)
        vk = new_vault_key()
        header = FolderHeader(
            account_id=account_id, email=owner, generation=generation, keyset_version=1,
            kdf_salt=kdf_salt, kdf_params=header_params(params),
            keyset=seal_keyset(keys.auk, vk, bytes.fromhex(account_id), generation),
            hint=hint or None, key_check=account_key_check(key, bytes.fromhex(account_id)),
        )  # fmt: skip
        if damaged:
            written = start_over_damaged(path, header)
        else:
            written = start_new_generation(path, header, expect=generation)
        try:
            # Signing in to the new generation archives this device's old copy first.
            unlocked = self._create_local(path, written, vk, key=key)
        except ClientError as exc:
            raise ResetIncomplete(key, exc.message) from exc
        except (OSError, sqlite3.DatabaseError) as exc:
            raise ResetIncomplete(key, str(exc)) from exc
        return unlocked, key, written
