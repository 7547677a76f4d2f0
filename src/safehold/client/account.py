"""Account flows on a device: sign-up, sign-in on a new device, unlock, password change,
devices, and setting the vault aside on a reset claim.

A reset claim (a 410, a generation mismatch, storage saying so) never deletes anything:
the device locks, uploads nothing and moves its vault into an archive
(:mod:`safehold.client.archive`). Signing in to the same generation again puts it back.

Unlock works offline from the cached parameters, salt and keyset. When the server can be
reached it is asked as well, so a password changed on another device takes effect here at
the next unlock: the old password then fails (fresh SRP sign-in refused) and the new one
signs this device in again and refreshes the cached keyset.

The HTTP client and the wire models are imported where they are first used, not at the
top: together they take about 0.2 s to load, which a command working offline never needs,
and an online unlock loads them while Argon2id runs (see :meth:`AccountService._unlock`).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from safehold.crypto import (
    AccountKey,
    DerivedKeys,
    EnvelopeKey,
    KdfParams,
    KdfParamsRejected,
    SrpClient,
    SrpError,
    TamperedData,
    VaultCipher,
    b64decode,
    b64encode,
    derive_keys,
    hex_to_int,
    hkdf,
    int_to_hex,
    new_kdf_salt,
    new_vault_key,
    open_keyset,
    seal_keyset,
    verifier,
)

from .archive import ArchiveStore, Manifest
from .errors import (
    AccountWasReset,
    AuthFailed,
    ClientError,
    KdfRefused,
    KeyRotated,
    ServerOnly,
    SessionExpired,
    SessionRevoked,
    SignupIncomplete,
    Tampered,
    Unreachable,
)
from .keystore import KeyStore, keystore_for
from .profile import Profile
from .settings import ClientSettings

#: The local store's note that the server said the password was changed on another device.
from .status import PASSWORD_CHANGED_META
from .store import VaultStore
from .transport import StorageReset, Transport
from .vault import Vault

if TYPE_CHECKING:
    import httpx

    from safehold import wire

    from .api import ApiClient
    from .folder_account import FolderAccounts
    from .sync import Progress, SyncReport

#: The session token is sealed under a key derived from the vault key, so a copied vault
#: file does not hand out a live session.
_SESSION_INFO = b"safehold/client/v1/session-key"


#: A failed sign-in with an account key: one message whichever of the three was wrong.
LOGIN_FAILED = "email, password or account key incorrect"


def _now_text() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _session_key(vk: bytes) -> EnvelopeKey:
    return EnvelopeKey(hkdf(vk, None, _SESSION_INFO, 32))


def _session_ad(account_id: str) -> bytes:
    return f"safehold/client/v1/session|{account_id}".encode()


def _params_json(params: KdfParams) -> str:
    return json.dumps({"t": params.t, "m_kib": params.m_kib, "p": params.p})


def _wire_params(params: KdfParams) -> wire.KdfParams:
    from safehold import wire

    return wire.KdfParams(t=params.t, m_kib=params.m_kib, p=params.p)


def _crypto_params(params: wire.KdfParams) -> KdfParams:
    return KdfParams(t=params.t, m_kib=params.m_kib, p=params.p)


@dataclass(frozen=True)
class PasswordProof:
    """The client's half of an SRP-6a exchange (spec §4), made from the server's challenge:
    what sign-in, a password change, a key rotation and setting a recovery code send to prove
    the password (``login_id``, ``A``, ``M1``), and the check of the server's ``M2``."""

    start: wire.AuthStartResponse
    params: KdfParams
    keys: DerivedKeys
    srp: SrpClient = field(repr=False)
    m1: bytes = field(repr=False)

    @property
    def a_hex(self) -> str:
        return int_to_hex(self.srp.A)

    def check_server(self, m2_hex: str, message: str) -> None:
        """:class:`Tampered` (``message``) unless the server's ``M2`` proves it knows the
        verifier."""
        try:
            self.srp.verify_server(bytes.fromhex(m2_hex))
        except (SrpError, ValueError):
            raise Tampered(message) from None


@dataclass
class Unlocked:
    """A vault whose keys are in memory: items can be read, written and synced."""

    service: AccountService
    store: VaultStore
    vk: bytes = field(repr=False)
    token: str | None = field(repr=False, default=None)
    #: Sign-up only: the server wants the address confirmed by its mailed link first.
    verification_required: bool = False

    def __post_init__(self) -> None:
        # Read once: a reset claim closes the store (its file moves to an archive), and
        # callers still name the account afterwards.
        self._account_id = self.store.account_id
        # Items opened while these keys are held, by (id, envelope), shared by every Vault
        # handed out here and by sync: a sync that took items in has opened them already,
        # so the listing after it does not open them again (a join: sign in, sync, list).
        self._opened: dict[tuple[str, bytes], dict[str, Any]] = {}

    @property
    def account_id(self) -> str:
        return self._account_id

    @property
    def cipher(self) -> VaultCipher:
        return VaultCipher(self.vk, bytes.fromhex(self.account_id), self.store.generation)

    @property
    def vault(self) -> Vault:
        return Vault(self.store, self.cipher, self._opened)

    @property
    def transport_kind(self) -> str:
        """``"server"`` or ``"folder"``: where this vault syncs."""
        from .folder_account import is_folder

        return "folder" if is_folder(self.store) else "server"

    def api(self) -> ApiClient:
        if self.transport_kind != "server":
            raise ServerOnly(self.store.meta("folder") or "a folder")

        def noted(error: SessionRevoked) -> None:
            self._note_revoked(error)

        return self.service.api(
            self.store.server, token=self.token, generation=self.store.generation, on_revoked=noted
        )

    def _note_revoked(self, error: SessionRevoked) -> None:
        """Note a session ended elsewhere, unless it is no longer this device's session: the
        agent may still sync with the old one a moment after the device signed in again."""
        if self.store.closed:
            return
        with self.store.transaction():  # the check and the note under one write lock
            if _open_token(self.vk, self.store) == self.token:
                self.service.note_revoked(self.store, error)

    def save_token(self, token: str) -> None:
        self.token = token
        sealed = _session_key(self.vk).seal(token.encode(), _session_ad(self.account_id))
        self.store.set_meta(session=b64encode(sealed))

    def transport(self) -> Transport:
        """The storage this vault syncs through (the server, or its folder); close it after."""
        # A refusal is noted only if it is still this device's session (an agent syncing with
        # the old one may hear it after the device signed in again): _note_revoked checks.
        return self.service.open_transport(self.store, token=self.token, on_revoked=self._note_revoked)

    def sync(self, progress: Progress | None = None, *, by: str = "command") -> SyncReport:
        """Pull and push through the vault's transport (spec §11). On a reset claim the
        local vault is archived (nothing uploaded, nothing deleted) before
        :class:`AccountWasReset` propagates. When it ran and what it found is kept in the
        local vault for ``status`` (``by``: ``"command"`` or ``"agent"``)."""
        from .autosync import record

        before = self.store.meta("last_sync")
        try:
            with sync_lock(self.service.profile.sync_lock_path(self.account_id)):
                report = self._sync(progress)
        except Exception as exc:
            if not self.store.closed:
                with contextlib.suppress(sqlite3.Error, ClientError):
                    record(self.store, by, None, exc)
                    if isinstance(exc, SessionRevoked):
                        self._note_revoked(exc)
            raise
        with contextlib.suppress(sqlite3.Error, ClientError):
            record(self.store, by, report, None, engine_wrote=self.store.meta("last_sync") != before)
        return report

    def _sync(self, progress: Progress | None) -> SyncReport:
        from .sync import SyncEngine
        from .transports import close_transport

        transport = self.transport()
        try:
            engine = SyncEngine(
                self.store, transport, self.vk, device_name=self.store.device_name, opened=self._opened
            )
            return engine.sync(progress)
        except AccountWasReset as exc:
            raise self.service.set_aside(
                self.store, "the server said the account was reset", exc.generation, exc.reset_at
            ) from None
        except StorageReset as exc:
            reason = (
                "the server said the account was reset"
                if transport.kind == "server"
                else f"storage said the account was reset ({exc.message})"
            )
            raise self.service.set_aside(self.store, reason, exc.generation, exc.reset_at) from None
        finally:
            close_transport(transport)

    def close(self) -> None:
        self.store.close()


@contextlib.contextmanager
def sync_lock(lock: Path) -> Iterator[None]:
    """One sync of a vault at a time on this device: a command's and the agent's would
    otherwise both take the same next file number in a folder (spec/folder.md §4), and one
    segment would replace the other. Waits for the other sync to finish. ``lock`` is
    :meth:`Profile.sync_lock_path` (a file of its own: closing a descriptor of the vault
    file itself would drop SQLite's locks on it)."""
    lock.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def _open_token(vk: bytes, store: VaultStore) -> str | None:
    sealed = store.meta("session")
    if not sealed:
        return None
    try:
        return _session_key(vk).open(b64decode(sealed), _session_ad(store.account_id)).decode()
    except TamperedData:
        return None


def _open_cached_keyset(store: VaultStore, keys: DerivedKeys) -> bytes | None:
    """The vault key from this device's copy of the keyset; None if these keys do not
    open it (a wrong password, or one changed on another device)."""
    try:
        return open_keyset(keys.auk, b64decode(store.require("keyset")), bytes.fromhex(store.account_id),
                           store.generation)  # fmt: skip
    except TamperedData:
        return None


class AccountService:
    """Every account operation of one profile. ``transport`` is passed to httpx (tests)."""

    def __init__(
        self,
        settings: ClientSettings,
        *,
        transport: httpx.BaseTransport | None = None,
        keystore: KeyStore | None = None,
        on_wipe: Callable[[str], None] | None = None,
        storage: Callable[[VaultStore], Transport] | None = None,
    ) -> None:
        self.settings = settings
        if transport is None:
            from .transports import default_http_transport

            transport = default_http_transport()
        self.transport = transport
        #: Builds the sync transport for a vault instead of :func:`open_transport` (tests:
        #: a memory transport, or a malicious wrapper around one).
        self.storage = storage
        self.profile = Profile(settings.home)
        self.keystore = keystore or keystore_for(self.profile, settings.keystore)
        #: Called with the account id when a reset claim sets the vault aside (the CLI
        #: makes the agent forget the keys: the device locks).
        self.on_wipe = on_wipe
        self.archives = ArchiveStore(self.profile)

    def api(
        self,
        server: str,
        *,
        token: str | None = None,
        generation: int | None = None,
        on_revoked: Callable[[SessionRevoked], None] | None = None,
    ) -> ApiClient:
        from .api import ApiClient
        from .settings import check_server_url

        # Every request to a server passes here, whatever named it (--server, the
        # environment, a kit, a reset link, the vault's stored URL).
        check_server_url(server, insecure_http=self.settings.insecure_http)
        return ApiClient(server, token=token, generation=generation, transport=self.transport,
                         on_revoked=on_revoked)  # fmt: skip

    def open_transport(
        self,
        store: VaultStore,
        *,
        token: str | None = None,
        on_revoked: Callable[[SessionRevoked], None] | None = None,
    ) -> Transport:
        """The sync transport of ``store``'s vault (:func:`~safehold.client.transports.open_transport`),
        through this service's httpx transport for a server; ``storage`` overrides it (tests)."""
        if self.storage is not None:
            return self.storage(store)
        from .transports import open_transport

        if store.folder:
            return open_transport(store)

        def noted(error: SessionRevoked) -> None:
            self.note_revoked(store, error)

        # Through :meth:`api`, as every request to a server: its URL checked, and a revoked
        # session noted (a password changed elsewhere shows in `status`) — by ``on_revoked``
        # when given, which checks the refusal is about this device's current session.
        api = self.api(store.server, token=token, generation=store.generation, on_revoked=on_revoked or noted)
        return open_transport(store, api=api)

    def derive(
        self, email: str, password: str, key: AccountKey, account_id: str, kdf_salt: bytes, params: KdfParams
    ) -> DerivedKeys:
        try:
            return derive_keys(
                email=email,
                password=password,
                account_key_secret=key.secret,
                account_id=bytes.fromhex(account_id),
                kdf_salt=kdf_salt,
                params=params,
                policy=self.settings.kdf_policy,
            )
        except KdfParamsRejected as exc:
            raise KdfRefused(str(exc)) from None

    # --- sign-up and sign-in ------------------------------------------------------------

    def signup(self, email: str, password: str, hint: str | None = None) -> tuple[Unlocked, AccountKey]:
        from safehold import wire

        server = self.settings.server_url
        key = AccountKey.generate()
        # A UUIDv4, like the ids the server invents for unknown emails (spec §6), so a
        # real account cannot be told from a fake one by the shape of its id.
        account_id = uuid.uuid4().hex
        kdf_salt = new_kdf_salt()
        params = self.settings.signup_params
        keys = self.derive(email, password, key, account_id, kdf_salt, params)
        vk = new_vault_key()
        generation = 1
        device_id = secrets.token_hex(16)
        request = wire.SignupRequest(
            email=email,
            account_id=account_id,
            kdf_salt=b64encode(kdf_salt),
            kdf_params=_wire_params(params),
            verifier=int_to_hex(verifier(keys.srp_x)),
            keyset=b64encode(seal_keyset(keys.auk, vk, bytes.fromhex(account_id), generation)),
            hint=hint or None,
            device_id=device_id,
            device_name=self.settings.device_name,
        )
        # The key is stored before the account exists: once the server has the account, a
        # failure here (a locked keychain, a full disk) would strand it with no key anywhere.
        self.profile.ensure()
        self.keystore.save(account_id, key)
        try:
            with self.api(server) as api:
                answer = api.signup(request)
        except BaseException:
            self.keystore.delete(account_id)
            raise
        try:
            if answer.generation != generation:
                # The keyset was sealed for generation 1; a new account must start there.
                raise ClientError(f"the server started the account at generation {answer.generation}, not 1")
            unlocked = self._create_local(
                server=server, email=email, account_id=account_id, generation=generation, kdf_salt=kdf_salt,
                params=params, keyset=request.keyset, device_id=device_id, hint=hint, key=None, vk=vk,
            )  # fmt: skip
            unlocked.save_token(answer.session.token)
            unlocked.verification_required = bool(answer.verification_required)
            if answer.device_credential:
                from . import device_credentials

                device_credentials.save(self.profile.home, server, account_id, answer.device_credential)
        except ClientError as exc:
            raise SignupIncomplete(email, key, exc.message) from exc
        except (OSError, sqlite3.DatabaseError) as exc:
            raise SignupIncomplete(email, key, str(exc)) from exc
        return unlocked, key

    def _create_local(
        self, *, server: str, email: str, account_id: str, generation: int, kdf_salt: bytes,
        params: KdfParams, keyset: str, device_id: str, hint: str | None, key: AccountKey | None,
        vk: bytes, extra: dict[str, str] | None = None,
    ) -> Unlocked:  # fmt: skip
        """The local vault for a fresh sign-in, with ``key`` saved (unless already saved).
        ``extra``: more meta (a folder vault's transport and path).

        A vault this profile already holds for the same account and generation is kept, with
        its items, outbox, cursor and conflict copies: it belongs to a device signed out (or
        whose password changed) elsewhere, and its unsynced edits are pushed by the next
        sync. A different generation (the account was reset) starts from empty, and the old
        vault is archived first, never overwritten.
        """
        self.profile.ensure()
        meta = {
            "server": server, "email": email, "account_id": account_id, "generation": str(generation),
            "kdf_salt": b64encode(kdf_salt), "kdf_params": _params_json(params), "keyset": keyset,
            "device_id": device_id, "device_name": self.settings.device_name, "hint": hint or "",
            **(extra or {}),
        }  # fmt: skip
        path = self.profile.vault_path(account_id)
        if not path.exists():
            self._put_back(account_id, generation, server)
        store = self._reusable_store(path, generation)
        if store is not None:
            # The old session is dead; the caller saves the new one.
            store.set_meta(**meta, session=None)
        else:
            if path.exists():
                # A vault of another generation (or unreadable): never replaced in place, it
                # may hold edits never synced. It is archived like on any reset claim.
                self.archive(account_id, f"signing in found generation {generation}; this vault held another")
            store = VaultStore.create(path, meta)
        try:
            if key is not None:
                self.keystore.save(account_id, key)
            self.profile.set_current(account_id)
        except BaseException:
            store.close()
            raise
        return Unlocked(self, store, vk)

    def _put_back(self, account_id: str, generation: int, server: str) -> Manifest | None:
        """The device signs in to the generation a reset claim said was gone: the claim was
        false, so the vault it set aside comes back as it was (unsynced edits included)."""
        manifest = self.archives.find_same(account_id, generation, server)
        if manifest is not None:
            self.archives.put_back(manifest)
        return manifest

    @staticmethod
    def _reusable_store(path: Path, generation: int) -> VaultStore | None:
        """The existing vault at ``path`` if it holds ``generation``, else ``None``."""
        if not path.exists():
            return None
        try:
            store = VaultStore.open(path)
        except (OSError, sqlite3.DatabaseError):
            return None
        try:
            if store.generation == generation:
                return store
        except (ClientError, sqlite3.DatabaseError):
            pass
        store.close()
        return None

    def prove_password(
        self, api: ApiClient, email: str, password: str, key: AccountKey, account_id: str | None = None
    ) -> PasswordProof:
        """Ask the server for a challenge and answer it with the password and account key.
        ``account_id``: the one this device holds (the keys are derived for it, whatever the
        server says); ``None`` at sign-in, where the server's is all there is."""
        start = api.auth_start(email)
        salt = b64decode(start.kdf_salt)
        params = _crypto_params(start.kdf_params)
        keys = self.derive(email, password, key, account_id or start.account_id, salt, params)
        srp = SrpClient(email=email, salt=salt, x=keys.srp_x)
        try:
            m1 = srp.process_challenge(hex_to_int(start.B))
        except SrpError:
            raise AuthFailed() from None
        except ValueError:
            # Not canonical hex (spec §1): no honest server sends that.
            raise Tampered("the server sent a malformed sign-in challenge; not trusting it") from None
        return PasswordProof(start, params, keys, srp, m1)

    def _srp_login(
        self, api: ApiClient, email: str, password: str, key: AccountKey, device_id: str
    ) -> tuple[wire.AuthStartResponse, wire.AuthFinishResponse, DerivedKeys]:
        from safehold import wire

        from . import device_credentials

        proof = self.prove_password(api, email, password, key)
        start = proof.start
        finish = api.auth_finish(
            wire.AuthFinishRequest(
                login_id=start.login_id, A=proof.a_hex, M1=proof.m1.hex(), device_id=device_id,
                device_name=self.settings.device_name,
                device_credential=device_credentials.load(self.profile.home, api.base_url, start.account_id),
            )
        )  # fmt: skip
        proof.check_server(finish.M2, "the server could not prove it knows this account; not trusting it")
        keys = proof.keys
        if finish.device_credential:
            device_credentials.save(
                self.profile.home, api.base_url, start.account_id, finish.device_credential
            )
        return start, finish, keys

    def login(self, email: str, password: str, key: AccountKey, server: str | None = None) -> Unlocked:
        """Sign this device in; the local vault is created, or kept when it holds this account's
        current generation (see :meth:`_create_local`), then filled by a sync."""
        server = (server or self.settings.server_url).rstrip("/")
        device_id = secrets.token_hex(16)
        with self.api(server) as api:
            try:
                start, finish, keys = self._srp_login(api, email, password, key, device_id)
            except AuthFailed:
                # The key is part of what was checked: an old key after a reset fails here too.
                raise AuthFailed(
                    LOGIN_FAILED,
                    hint="if the account was reset, use the new Emergency Kit: `safehold login EMAIL "
                    "--kit FILE`, or type the new key when `safehold login EMAIL` asks",
                ) from None
        account_id = start.account_id
        try:
            vk = open_keyset(keys.auk, b64decode(finish.keyset), bytes.fromhex(account_id), finish.generation)
        except TamperedData:
            raise Tampered("the keyset from the server does not open with these keys") from None
        unlocked = self._create_local(
            server=server, email=email, account_id=account_id, generation=finish.generation,
            kdf_salt=b64decode(start.kdf_salt), params=_crypto_params(start.kdf_params),
            keyset=finish.keyset, device_id=device_id, hint=finish.hint, key=key, vk=vk,
        )  # fmt: skip
        unlocked.save_token(finish.session.token)
        return unlocked

    # --- unlock ---------------------------------------------------------------------------

    def open_store(self, account_id: str | None = None) -> VaultStore:
        account_id = account_id or self.profile.require_current()
        return VaultStore.open(self.profile.vault_path(account_id))

    def account_key(self, account_id: str) -> AccountKey:
        key = self.keystore.load(account_id)
        if key is None:
            raise SessionRevoked(
                "this device no longer has the account key",
                hint="run `safehold login EMAIL` (it asks for the key) or `safehold login EMAIL --kit FILE`",
            )
        return key

    def stored_key(self, email: str, server: str | None = None) -> tuple[AccountKey, str] | None:
        """The account key this profile still holds for ``email`` (on ``server`` when given),
        with the server that account lives on; ``None`` if there is none.

        A device that was signed out, or whose password was changed elsewhere, keeps its
        vault and its key, so signing in again needs only the password.
        """
        wanted = email.strip().casefold()
        for account_id in self.profile.account_ids():
            try:
                store = VaultStore.open(self.profile.vault_path(account_id))
            except (OSError, sqlite3.DatabaseError):
                continue
            try:
                found_email, found_server = store.meta("email"), store.meta("server")
            except sqlite3.DatabaseError:
                continue
            finally:
                store.close()
            if found_email is None or found_server is None or found_email.strip().casefold() != wanted:
                continue
            if not found_server:
                continue  # a vault kept in a folder: `login --folder` finds its key itself
            if server is not None and found_server.rstrip("/") != server.rstrip("/"):
                continue
            key = self.keystore.load(account_id)
            if key is not None:
                return key, found_server
        # A vault set aside on a reset claim keeps its key: after a false claim, signing in
        # with the password alone puts it back.
        for manifest in self.archives.all():
            if manifest.email.strip().casefold() != wanted or manifest.restored_at is not None:
                continue
            if not manifest.server:
                continue  # a folder vault's archive
            if server is not None and manifest.server.rstrip("/") != server.rstrip("/"):
                continue
            key = self.archives.account_key(manifest)
            if key is not None:
                return key, manifest.server
        return None

    def resume(self, account_id: str, vk: bytes, token: str | None) -> Unlocked:
        """An unlocked vault from keys the agent kept."""
        store = self.open_store(account_id)
        return Unlocked(self, store, vk, token or _open_token(vk, store))

    def _auth_failed(self, store: VaultStore) -> AuthFailed:
        hint = store.meta("hint")
        shown = f"your account hint: {hint}" if hint else None
        if store.meta(PASSWORD_CHANGED_META):
            # The server told this device; the hint is the one set with the new password.
            return AuthFailed("the account password was changed on another device: type the new one",
                              hint=shown)  # fmt: skip
        return AuthFailed(hint=shown)

    def note_revoked(self, store: VaultStore, error: SessionRevoked) -> None:
        """Remember that the password was changed on another device, when the server says so:
        ``status`` shows it, and the password prompt says so with the account's new hint,
        until this device signs in with the new password."""
        if error.reason != "password_changed" or store.closed:
            return
        values: dict[str, str | None] = {PASSWORD_CHANGED_META: _now_text()}
        if error.account_hint is not None:  # None: a server that does not send it
            values["hint"] = error.account_hint
        store.set_meta(**values)

    def password_changed_elsewhere(self, account_id: str) -> str | None:
        """When this device learned that its password was changed on another device (ISO 8601
        UTC), if it has not signed in with the new one since."""
        store = self.open_store(account_id)
        try:
            return store.meta(PASSWORD_CHANGED_META) or None
        finally:
            store.close()

    def unlock(self, password: str, *, online: bool = True) -> Unlocked:
        store = self.open_store()
        try:
            return self._unlock(store, password, online=online)
        except BaseException:
            store.close()
            raise

    @property
    def folders(self) -> FolderAccounts:
        """Sign-up, sign-in, password change and reset of vaults kept in a folder."""
        from .folder_account import FolderAccounts

        return FolderAccounts(self)

    def _unlock(self, store: VaultStore, password: str, *, online: bool) -> Unlocked:
        from .folder_account import is_folder

        if is_folder(store):
            return self.folders.unlock(store, password, online=online)
        account_id = store.account_id
        key = self.account_key(account_id)
        salt = b64decode(store.require("kdf_salt"))
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="safehold-kdf") as kdf:
            derived = kdf.submit(self.derive, store.email, password, key, account_id, salt, store.kdf_params)
            # Argon2id releases the GIL: build the HTTP client (its imports, its TLS
            # context) meanwhile rather than after, and unlocking takes that much less.
            api = self.api(store.server, generation=store.generation) if online else None
            try:
                keys = derived.result()
            except BaseException:
                if api is not None:
                    api.close()
                raise
        if api is None:
            vk = _open_cached_keyset(store, keys)
            if vk is None:
                raise self._auth_failed(store)
            return Unlocked(self, store, vk, _open_token(vk, store))
        with api:
            vk = _open_cached_keyset(store, keys)
            token = _open_token(vk, store) if vk is not None else None
            api.token = token
            try:
                if vk is not None and token is not None:
                    info = api.account()
                    if info.generation != store.generation:
                        raise AccountWasReset(info.reset_at, info.generation)
                    from .pending_reset import remember

                    remember(store, info.pending_reset)  # for `status` (issue 14 §6)
                    return Unlocked(self, store, vk, token)
                # The cached keyset did not open: perhaps the password changed elsewhere.
                return self._relogin(store, api, password, key, changed_only=False)
            except KeyRotated:
                # Signing in again needs the new key, which only the person has.
                raise
            except SessionExpired:
                # Only the server's lifetime rules ended it: the password renews it here.
                return self._relogin(store, api, password, key, changed_only=False)
            except SessionRevoked as exc:
                self.note_revoked(store, exc)
                return self._relogin(store, api, password, key, changed_only=True)
            except Unreachable:
                if vk is None:
                    raise self._auth_failed(store) from None
                return Unlocked(self, store, vk, token)
            except AccountWasReset as exc:
                raise self.set_aside(
                    store, "the server said the account was reset", exc.generation, exc.reset_at
                ) from None

    def _relogin(
        self, store: VaultStore, api: ApiClient, password: str, key: AccountKey, *, changed_only: bool
    ) -> Unlocked:
        """Sign in again with ``password`` after the server revoked this device's session.

        With ``changed_only``, a revocation without a password change (the salt is the same)
        means this device was signed out by the user, and stays signed out.
        """
        account_id = store.account_id
        api.token = None
        try:
            if changed_only:
                start = api.auth_start(store.email)
                if start.kdf_salt == store.meta("kdf_salt"):
                    raise SessionRevoked(
                        "this device was signed out of the account from another device",
                        hint="run `safehold login EMAIL` to sign it in again",
                    )
            start, finish, keys = self._srp_login(api, store.email, password, key, store.device_id)
        except AuthFailed:
            raise self._auth_failed(store) from None
        if start.account_id != account_id or finish.generation != store.generation:
            raise self.set_aside(
                store, f"signing in again found generation {finish.generation}, not {store.generation}",
                finish.generation,
            )  # fmt: skip
        try:
            vk = open_keyset(keys.auk, b64decode(finish.keyset), bytes.fromhex(account_id), finish.generation)
        except TamperedData:
            raise Tampered("the keyset from the server does not open with these keys") from None
        unlocked = Unlocked(self, store, vk)
        # One transaction: the agent, still syncing with the old session, checks the stored
        # session under the same lock before it notes a refusal (Unlocked._note_revoked), so
        # it never notes "changed elsewhere" again between the clearing and the new token.
        with store.transaction():
            store.set_meta(
                kdf_salt=start.kdf_salt,
                kdf_params=_params_json(_crypto_params(start.kdf_params)),
                keyset=finish.keyset,
                hint=finish.hint or "",
                **{PASSWORD_CHANGED_META: None},
            )
            unlocked.save_token(finish.session.token)
        return unlocked

    # --- password, hint, devices, reset ------------------------------------------------

    def change_password(self, unlocked: Unlocked, current: str, new: str, hint: str | None) -> None:
        from safehold import wire

        if unlocked.transport_kind == "folder":
            self.folders.change_password(unlocked, current, new, hint)
            return
        store = unlocked.store
        account_id = store.account_id
        key = self.account_key(account_id)
        with unlocked.api() as api:
            proof = self.prove_password(api, store.email, current, key, account_id)
            new_salt = new_kdf_salt()
            new_params = proof.params
            fresh = self.derive(store.email, new, key, account_id, new_salt, new_params)
            keyset = b64encode(
                seal_keyset(fresh.auk, unlocked.vk, bytes.fromhex(account_id), store.generation)
            )
            answer = api.change_password(
                wire.PasswordChangeRequest(
                    login_id=proof.start.login_id, A=proof.a_hex, M1=proof.m1.hex(),
                    kdf_salt=b64encode(new_salt), kdf_params=_wire_params(new_params),
                    verifier=int_to_hex(verifier(fresh.srp_x)),
                    keyset=keyset, hint=hint,
                )
            )  # fmt: skip
        proof.check_server(answer.M2, "the server could not prove it knows this account")
        values: dict[str, Any] = {
            "kdf_salt": b64encode(new_salt), "kdf_params": _params_json(new_params), "keyset": keyset,
        }  # fmt: skip
        if hint is not None:
            values["hint"] = hint
        store.set_meta(**values)

    def request_hint(self, email: str, server: str | None = None) -> wire.AcceptedResponse:
        with self.api(server or self.settings.server_url) as api:
            return api.hint(email)

    def request_reset(self, email: str, server: str | None = None) -> wire.AcceptedResponse:
        with self.api(server or self.settings.server_url) as api:
            return api.reset(email)

    def set_aside(
        self, store: VaultStore, reason: str, generation: int | None, reset_at: datetime | None = None
    ) -> AccountWasReset:
        """Act on a reset claim: lock, close ``store`` and move the vault, its stored key and
        its kits into an archive. Nothing is deleted. The error to raise names the archive."""
        account_id = store.account_id
        folder = store.meta("folder") if store.meta("transport") == "folder" else None
        store.close()
        manifest = self.archive(account_id, reason, generation)
        return AccountWasReset(reset_at, generation, archive=manifest.id if manifest else None, folder=folder)

    def archive(self, account_id: str, reason: str, generation: int | None = None) -> Manifest | None:
        """Lock and move everything this device holds for ``account_id`` into an archive
        (every connection to its vault must be closed). ``None`` if there was no vault."""
        if self.on_wipe is not None:
            self.on_wipe(account_id)
        try:
            key = self.keystore.load(account_id)
        except ClientError:
            key = None  # a damaged stored key: the vault is archived all the same
        manifest = self.archives.archive(account_id, reason=reason, key=key, claimed_generation=generation)
        if manifest is not None or not self.profile.vault_path(account_id).exists():
            # Only once the key is in the archive (or there is nothing it could open).
            self.keystore.delete(account_id)
        # An empty file, but its name still says which account this profile held. Removing
        # it under a sync that holds it is harmless: the lock lives on the open descriptor.
        self.profile.sync_lock_path(account_id).unlink(missing_ok=True)
        if self.profile.current is None or self.profile.current == account_id:
            self.profile.set_current(None)
        return manifest

    def wipe(self, account_id: str) -> Manifest | None:
        """Kept for callers of the old name: it archives, it never deletes (see :meth:`archive`)."""
        return self.archive(account_id, "the account was said to be reset")
