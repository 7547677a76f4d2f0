"""The common reads, answered from keys already unlocked: `get ITEM --field F`, `list --json`
and `totp ITEM`, as the agent answers them for the CLI's fast path (cli/fast.py).

Each answer is exactly what the full command prints, from the same domain code: the field's
value as ``get --field`` resolves it (a totp field gives its current code), the summaries
``list --json`` prints, the code ``totp`` prints. Anything else — an item not found or
ambiguous, a field missing, a damaged vault — is answered ``{"ok": false, "fallback": true}``
and the CLI runs the full command, which reports it with its proper message and exit code.
So the fast path never has error messages of its own to keep in step.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from safehold.crypto import VaultCipher

from .errors import ClientError
from .items import Item, ItemError, Template, totp_code
from .items.lookup import field_info
from .store import VaultStore
from .vault import StoredItem, Vault

FALLBACK: dict[str, Any] = {"ok": False, "fallback": True}


def summary(stored: StoredItem) -> dict[str, Any]:
    """An item as `list --json` and `add --json` print it: no secret in it."""
    data = stored.data
    return {
        "id": stored.item_id,
        "type": data.get("type"),
        "title": data.get("title"),
        "tags": data.get("tags", []),
        "favorite": data.get("favorite", False),
        "modified": data.get("modified"),
    }


def _item(vault: Vault, query: str) -> Item:
    stored = vault.find(query)
    return Item.from_json(stored.data, custom_templates=vault.custom_templates())


def read_vault(vault: Vault, request: dict[str, Any]) -> dict[str, Any]:
    """The answer to one read ``request`` (``what``: field, list or totp) on ``vault``."""
    what = request.get("what")
    if what == "list":
        return {"ok": True, "answer": [summary(s) for s in vault.all()]}
    if what == "field":
        info = field_info(_item(vault, str(request["item"])), str(request["field"]))
        value = info.value
        if info.kind == "totp" and value and not request.get("raw"):
            value = totp_code(value).code
        return {"ok": True, "answer": value}
    if what == "totp":
        secret = _item(vault, str(request["item"])).otp_secret()
        if not secret:
            return FALLBACK
        code = totp_code(secret)
        return {"ok": True, "answer": {"code": code.code, "seconds_left": code.seconds_left,
                                       "period": code.period}}  # fmt: skip
    return {"ok": False, "error": f"unknown read {what!r}"}


@dataclass
class ReadCache:
    """What the agent keeps between reads of one account's vault: decrypted items by (item
    id, envelope), and the listings of the vault file as it was when last read."""

    opened: dict[tuple[str, bytes], dict[str, Any]] = field(default_factory=dict)
    signature: tuple[int, ...] = ()
    listings: dict[tuple[bool, bool], list[StoredItem]] = field(default_factory=dict)
    by_title: dict[str, list[StoredItem]] | None = None
    templates: list[Template] | None = None

    def forget_listings(self) -> None:
        self.listings.clear()
        self.by_title = None
        self.templates = None


def _signature(path: Path) -> tuple[int, ...]:
    """Changes whenever the vault file does: any write touches the file or its WAL, and a
    replaced file (a new sign-in) has another inode."""
    out: list[int] = []
    for part in (path, path.with_name(path.name + "-wal")):
        try:
            st = part.stat()
        except FileNotFoundError:
            out += [0, 0, 0]
            continue
        out += [st.st_ino, st.st_size, st.st_mtime_ns]
    return tuple(out)


class _CachedVault(Vault):
    """A vault whose listings are kept while the file is unchanged: a read by title then
    costs a lookup, not a pass over 10,000 items."""

    def __init__(self, store: VaultStore, cipher: VaultCipher, cache: ReadCache) -> None:
        super().__init__(store, cipher, cache.opened)
        self._cache = cache

    def all(self, *, include_templates: bool = False, include_trashed: bool = False) -> list[StoredItem]:
        key = (include_templates, include_trashed)
        listing = self._cache.listings.get(key)
        if listing is None:
            listing = super().all(include_templates=include_templates, include_trashed=include_trashed)
            self._cache.listings[key] = listing
        return list(listing)

    def custom_templates(self) -> list[Template]:
        if self._cache.templates is None:
            self._cache.templates = super().custom_templates()
        return list(self._cache.templates)

    def find(
        self, query: str, *, include_templates: bool = False, trashed: bool | None = False
    ) -> StoredItem:
        """:meth:`Vault.find`, with an exact title looked up in an index; every other case
        (an id, a prefix, two items of one title) goes to :meth:`Vault.find` itself."""
        q = query.strip()
        if len(q) != 32 and not include_templates and trashed is False:
            if self._cache.by_title is None:
                index: dict[str, list[StoredItem]] = {}
                for stored in self.all():
                    index.setdefault(stored.title.casefold(), []).append(stored)
                self._cache.by_title = index
            same = self._cache.by_title.get(q.casefold(), [])
            exact = [s for s in same if s.title == q]
            if len(exact) == 1 or (not exact and len(same) == 1):
                return (exact or same)[0]
        return super().find(query, include_templates=include_templates, trashed=trashed)


def _vault_path(request: dict[str, Any]) -> Path | None:
    """The vault file the request names, if it is the named account's and exists."""
    path = Path(str(request["vault"]))
    return path if path.name == f"{request['account_id']}.db" and path.is_file() else None


def _open_store(path: Path, account_id: str) -> VaultStore | None:
    """``path`` opened, if it is ``account_id``'s vault (the caller closes it); else None."""
    try:
        store = VaultStore.open(path)
    except Exception:
        return None
    try:
        mine = store.account_id == account_id
    except Exception:
        mine = False  # damaged: the full command says so
    if mine:
        return store
    store.close()
    return None


def answer_read(request: dict[str, Any], vk: bytes, caches: dict[str, ReadCache]) -> dict[str, Any]:
    """The agent's side: open the vault file named in ``request`` with the held key ``vk``
    (only if it is that account's), answer, close. ``caches`` keeps, per account, what
    :class:`ReadCache` says between reads."""
    account_id = str(request["account_id"])
    path = _vault_path(request)
    if path is None:
        return FALLBACK
    cache = caches.setdefault(account_id, ReadCache())
    signature = _signature(path)
    if signature != cache.signature:
        cache.forget_listings()
        cache.signature = signature
    store = _open_store(path, account_id)
    if store is None:
        return FALLBACK
    try:
        cipher = VaultCipher(vk, bytes.fromhex(account_id), store.generation)
        return read_vault(_CachedVault(store, cipher, cache), request)
    except (ClientError, ItemError, KeyError, ValueError):
        return FALLBACK
    finally:
        store.close()


def print_read(request: dict[str, Any], vk: bytes, caches: dict[str, ReadCache]) -> dict[str, Any]:
    """:func:`answer_read`, rendered as the full command prints it: ``{"ok": true, "stdout":
    TEXT, "stderr": TEXT}``, so the fast path only writes it out (agentwire.py). ``tty``
    says whether its standard output is a terminal (JSON is indented for a person there)."""
    import json

    answered = answer_read(request, vk, caches)
    if not answered.get("ok"):
        return answered
    result = answered["answer"]
    what = request.get("what")
    if what == "list":
        indent = 2 if request.get("tty") is True else None
        text = json.dumps(result, indent=indent, ensure_ascii=False)
        return {"ok": True, "stdout": text + "\n", "stderr": ""}
    if what == "totp":
        return {"ok": True, "stdout": f"{result['code']}\n",
                "stderr": f"valid for {result['seconds_left']} more seconds\n"}  # fmt: skip
    return {"ok": True, "stdout": f"{result}\n", "stderr": ""}


def print_status(
    request: dict[str, Any], vk: bytes, caches: dict[str, ReadCache], auto_sync: dict[str, Any] | None
) -> dict[str, Any]:
    """``status`` (``json``: ``--json``) as the full command prints it (client/status.py
    renders both), for the account whose keys the agent holds: ``{"ok": true, "stdout",
    "stderr"}``, or :data:`FALLBACK` for anything the full command should say itself.
    ``home`` and ``keystore`` (the ``SAFEHOLD_KEYSTORE`` mode) say where to look for the key,
    as the command's settings would; ``auto_sync`` is the agent's own plan for the account."""
    from .keystore import key_location, keystore_for
    from .profile import Profile
    from .status import gather, render

    account_id = str(request["account_id"])
    path = _vault_path(request)
    mode = request.get("keystore", "auto")
    store = None if path is None or mode not in ("auto", "file") else _open_store(path, account_id)
    if store is None:
        return FALLBACK
    try:
        titles: dict[str, str] = {}
        conflicts = store.conflicts()
        if conflicts:
            cipher = VaultCipher(vk, bytes.fromhex(account_id), store.generation)
            vault = Vault(store, cipher, caches.setdefault(account_id, ReadCache()).opened)
            for conflict in conflicts:
                found = vault.get(conflict.copy_id)
                if found is not None:
                    titles[conflict.copy_id] = found.title
        where = key_location(keystore_for(Profile(Path(str(request["home"]))), mode), account_id)
        info = gather(store, account_id, unlocked=True, keystore=where, auto_sync=auto_sync, titles=titles)
    except (ClientError, ItemError, KeyError, ValueError):
        return FALLBACK
    finally:
        store.close()
    out, err = render(info, json_out=request.get("json") is True, tty=request.get("tty") is True)
    return {"ok": True, "stdout": out, "stderr": err}
