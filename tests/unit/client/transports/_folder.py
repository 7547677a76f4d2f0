"""Helpers for the folder transport tests: a header, opaque records, devices."""

from __future__ import annotations

import os
from pathlib import Path

from safehold.client.folder.header import FolderHeader, create_folder_vault
from safehold.client.transport import Record, Write
from safehold.client.transports.folder import FolderTransport

ACCOUNT = "a1" * 16
PARAMS = {"iterations": 3, "memory_cost": 65536, "lanes": 4}


def header(**kw: object) -> FolderHeader:
    base: dict[str, object] = {
        "account_id": ACCOUNT,
        "email": "ada@example.org",
        "generation": 1,
        "keyset_version": 1,
        "kdf_salt": b"s" * 16,
        "kdf_params": dict(PARAMS),
        "keyset": b"sealed-keyset",
        "hint": None,
    }
    base.update(kw)
    return FolderHeader(**base)  # type: ignore[arg-type]


def item(n: int) -> str:
    return f"{n:032x}"


def new_vault(path: Path) -> Path:
    create_folder_vault(path, header())
    return path


class Device:
    """A minimal engine stand-in: it numbers its writes and remembers revisions."""

    def __init__(self, path: Path, device_id: str, generation: int = 1, **kw: float) -> None:
        self.t = FolderTransport(path, device_id, generation, account_id=ACCOUNT, **kw)
        self.id = device_id
        self.seq = 0
        self.cursor = ""
        self.revs: dict[str, int] = {}

    def write(self, item_id: str, base: int | None = None, body: bytes | None = None) -> Write:
        self.seq += 1
        b = self.revs.get(item_id, 0) if base is None else base
        env = body if body is not None else os.urandom(8) + f"{self.id}:{self.seq}".encode()
        return Write(Record(item_id, b + 1, self.id, self.seq, env), b)

    def push(self, *writes: Write) -> list[bool]:
        outs = self.t.push(list(writes))
        for w, o in zip(writes, outs, strict=True):
            if o.accepted:
                self.revs[w.record.item_id] = w.record.revision
            elif o.current is not None:
                self.revs[o.item_id] = max(self.revs.get(o.item_id, 0), o.current.revision)
        return [o.accepted for o in outs]

    def pull_all(self, limit: int = 1000) -> list[Record]:
        out: list[Record] = []
        while True:
            page = self.t.pull(self.cursor, limit)
            out.extend(page.records)
            self.cursor = page.cursor
            for r in page.records:
                self.revs[r.item_id] = max(self.revs.get(r.item_id, 0), r.revision)
            if not page.has_more:
                return out
