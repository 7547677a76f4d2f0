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

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

    from ..api import ApiClient
    from ..store import VaultStore
    from ..transport import Transport

__all__ = ["close_transport", "default_http_transport", "open_transport", "test_only_http_transport"]

_test_only_http: httpx.BaseTransport | None = None


@contextmanager
def test_only_http_transport(transport: httpx.BaseTransport) -> Iterator[None]:
    """TESTS ONLY: while this is open, every AccountService made without a transport of its
    own (the CLI's, run in-process) sends its HTTP requests through ``transport`` (the server
    app in-process). Nothing else sets it; it replaces patching ``cli.state.TRANSPORT``."""
    global _test_only_http
    before, _test_only_http = _test_only_http, transport
    try:
        yield
    finally:
        _test_only_http = before


# Not a test, though its name starts like one: pytest must not collect it where imported.
test_only_http_transport.__test__ = False  # type: ignore[attr-defined]


def default_http_transport() -> httpx.BaseTransport | None:
    """The httpx transport an AccountService uses when given none: ``None`` (the network),
    except inside :func:`test_only_http_transport`."""
    return _test_only_http


def open_transport(
    store: VaultStore,
    *,
    token: str | None = None,
    http_transport: httpx.BaseTransport | None = None,
    api: ApiClient | None = None,
) -> Transport:
    """The transport the vault in ``store`` syncs through (close it with :func:`close_transport`).
    For a server, ``api`` is the client to use (AccountService passes its own, which checks
    the URL and notes revoked sessions); without it one is made from ``token`` and
    ``http_transport``."""
    folder = store.folder
    if folder:
        from .folder import FolderTransport

        return FolderTransport(Path(folder), store.device_id, store.generation, account_id=store.account_id)
    from .server import ServerTransport

    if api is None:
        from ..api import ApiClient

        api = ApiClient(store.server, token=token, generation=store.generation, transport=http_transport)
    return ServerTransport(api)


def close_transport(transport: Transport) -> None:
    """Release what the transport holds (an HTTP connection pool); a no-op for the others."""
    close = getattr(transport, "close", None)
    if callable(close):
        close()
