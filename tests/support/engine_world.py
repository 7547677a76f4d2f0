"""Devices of one account over one kind of storage, for the engine suite.

    with world("memory" | "folder" | "server", tmp_path, server_url=None) as w:
        a, b = w.device("a"), w.device("b")
        a.vault.put({...}); a.sync(); b.sync()

``memory``: a shared in-process store. ``folder``: one vault folder (``separate=True``:
a folder per device, joined by :class:`~tests.support.syncservice.SyncService` in
``w.service``). ``server``: a real server (``server_url``, a uvicorn started by the
caller): accounts are made with the real sign-up and sign-in. Each device's transport is
wrapped in :class:`~tests.support.malice.Malice`, honest until told otherwise.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.support.malice import Malice
from tests.support.syncservice import SyncService

from safehold.client.account import AccountService, Unlocked
from safehold.client.folder.header import FolderHeader, create_folder_vault
from safehold.client.settings import ClientSettings
from safehold.client.store import VaultStore
from safehold.client.sync import SyncEngine, SyncReport
from safehold.client.transports import open_transport
from safehold.client.transports.folder import FolderTransport
from safehold.client.transports.memory import MemoryStorage, MemoryTransport
from safehold.client.vault import Vault
from safehold.crypto import AccountKey, KdfParams, VaultCipher, new_vault_key

KINDS = ("memory", "folder", "server")
PASSWORD = "correct horse battery staple"
CHEAP = KdfParams(1, 8, 1)


def item(title: str, **fields: str) -> dict[str, Any]:
    return {
        "v": 1, "type": "login", "title": title, "fields": fields, "custom": [], "tags": [],
        "favorite": False, "notes": "", "created": "2024-01-01T00:00:00Z",
        "modified": "2024-01-01T00:00:00Z", "history": [],
    }  # fmt: skip


@dataclass
class Device:
    name: str
    store: VaultStore
    vk: bytes
    transport: Malice
    unlocked: Unlocked | None = None
    reports: list[SyncReport] = field(default_factory=list)

    @property
    def vault(self) -> Vault:
        cipher = VaultCipher(self.vk, bytes.fromhex(self.store.account_id), self.store.generation)
        return Vault(self.store, cipher)

    @property
    def device_id(self) -> str:
        return self.store.device_id

    def sync(self) -> SyncReport:
        report = SyncEngine(self.store, self.transport, self.vk, device_name=self.name).sync()
        self.reports.append(report)
        return report

    def titles(self) -> dict[str, dict[str, Any]]:
        return {it.title: it.data for it in self.vault.all()}

    def snapshot(self) -> dict[str, dict[str, Any]]:
        """Every item by id (conflict copies included), for comparing devices."""
        return {it.item_id: it.data for it in self.vault.all(include_templates=True, include_trashed=True)}


class World:
    def __init__(
        self, kind: str, root: Path, server_url: str | None = None, *, separate: bool = False
    ) -> None:
        self.kind = kind
        self.root = root
        self.server_url = server_url
        self.separate = separate
        self.devices: list[Device] = []
        self.account_id = uuid.uuid4().hex
        self.vk = new_vault_key()
        self.memory = MemoryStorage()
        self.folders: list[Path] = []
        self.service: SyncService | None = None
        self._key: AccountKey | None = None
        self._email = f"u{secrets.token_hex(4)}@example.com"
        self._stack = ExitStack()

    def close(self) -> None:
        for d in self.devices:
            d.transport.close()
            if not d.store.closed:
                d.store.close()
        self._stack.close()

    def _folder(self, n: int) -> Path:
        if not self.separate:
            n = 0
        while len(self.folders) <= n:
            path = self.root / f"folder{len(self.folders)}"
            header = FolderHeader(
                account_id=self.account_id, email=self._email, generation=1, keyset_version=1,
                kdf_salt=b"s" * 16, kdf_params={"iterations": 1, "memory_cost": 8, "lanes": 1},
                keyset=b"sealed", hint=None,
            )  # fmt: skip
            # Every folder starts with the same header, as if the service had copied it.
            create_folder_vault(path, header)
            self.folders.append(path)
            if self.separate and len(self.folders) > 1:
                self.service = SyncService(self.folders)
        return self.folders[n]

    def _local(self, name: str) -> VaultStore:
        meta = {
            "server": "local", "email": self._email, "account_id": self.account_id, "generation": "1",
            "kdf_salt": "", "kdf_params": "{}", "keyset": "", "device_id": secrets.token_hex(16),
            "device_name": name, "hint": "",
        }  # fmt: skip
        return VaultStore.create(self.root / name / "vault.db", meta)

    def _service(self, name: str) -> AccountService:
        assert self.server_url is not None
        settings = ClientSettings(
            home=self.root / name, server=self.server_url, kdf_floor=CHEAP, keystore="file",
            device_name=name, runtime_dir=self.root / "run",
        )  # fmt: skip
        return AccountService(settings)

    def device(self, name: str) -> Device:
        if self.kind == "server":
            service = self._service(name)
            if self._key is None:
                unlocked, self._key = service.signup(self._email, PASSWORD)
            else:
                unlocked = service.login(self._email, PASSWORD, self._key)
            inner = open_transport(unlocked.store, token=unlocked.token)
            dev = Device(name, unlocked.store, unlocked.vk, Malice(inner), unlocked)
        else:
            store = self._local(name)
            if self.kind == "memory":
                transport: Any = MemoryTransport(self.memory)
            elif self.kind == "folder":
                folder = self._folder(len(self.devices))
                transport = FolderTransport(folder, store.device_id, 1, account_id=self.account_id)
            else:
                raise ValueError(self.kind)
            dev = Device(name, store, self.vk, Malice(transport))
        self.devices.append(dev)
        return dev

    def settle(self) -> None:
        """Let a folder sync service copy everything everywhere (a no-op otherwise)."""
        if self.service is not None:
            self.service.settle()


@contextmanager
def world(kind: str, root: Path, server_url: str | None = None, *, separate: bool = False) -> Iterator[World]:
    w = World(kind, root, server_url, separate=separate)
    try:
        yield w
    finally:
        w.close()
