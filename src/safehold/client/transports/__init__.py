"""Sync transports, each an implementation of :class:`safehold.client.transport.Transport`,
and the one place that picks which a vault uses.

    server.py  ServerTransport    the Safehold server, over its HTTP API
    folder.py  FolderTransport    a folder shared by a sync service (spec/folder.md)
    memory.py  MemoryTransport    storage in this process, for tests

:func:`open_transport` chooses from the local vault: a vault kept in a folder names it in
its ``folder`` setting; every other vault lives on its ``server``. Tests reach the server
app in-process by passing an httpx transport (``http_transport``), as AccountService does.
Modules are imported on use: a command that never syncs never loads httpx.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from ..store import VaultStore
    from ..transport import Transport

__all__ = ["close_transport", "open_transport"]


def open_transport(
    store: VaultStore,
    *,
    token: str | None = None,
    http_transport: httpx.BaseTransport | None = None,
) -> Transport:
    """The transport the vault in ``store`` syncs through (close it with :func:`close_transport`)."""
    folder = store.folder
    if folder:
        from .folder import FolderTransport

        return FolderTransport(Path(folder), store.device_id, store.generation, account_id=store.account_id)
    from ..api import ApiClient
    from .server import ServerTransport

    api = ApiClient(store.server, token=token, generation=store.generation, transport=http_transport)
    return ServerTransport(api)


def close_transport(transport: Transport) -> None:
    """Release what the transport holds (an HTTP connection pool); a no-op for the others."""
    close = getattr(transport, "close", None)
    if callable(close):
        close()
