"""The device credentials this profile got from servers at sign-in (spec/api.md "Sign-in").

A server hands one out at each successful sign-in; showing it at the next one keeps the
device clear of a lock-out that a stranger's wrong guesses for the same email caused. It
opens nothing (it is no session, no key, no password): it only says "this device signed in
to this account before". Kept per server and account in ``<home>/device-credentials.json``
(0600), and kept through ``logout`` and wipes, since it is about the device, not the vault.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path

FILE_NAME = "device-credentials.json"


def _path(home: Path) -> Path:
    return home / FILE_NAME


def _key(server: str, account_id: str) -> str:
    return f"{server.rstrip('/')}|{account_id}"


def _read(home: Path) -> dict[str, str]:
    try:
        data = json.loads(_path(home).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}  # none yet, or damaged: the device is simply treated as new
    if not isinstance(data, dict):
        return {}
    return {str(k): v for k, v in data.items() if isinstance(v, str)}


def load(home: Path, server: str, account_id: str) -> str | None:
    return _read(home).get(_key(server, account_id))


def save(home: Path, server: str, account_id: str, credential: str) -> None:
    """Remember ``credential``; a failure to write it costs only the exemption."""
    data = _read(home)
    data[_key(server, account_id)] = credential
    path = _path(home)
    tmp = path.with_suffix(".tmp")
    with contextlib.suppress(OSError):
        home.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp.unlink(missing_ok=True)
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle, sort_keys=True)
        os.replace(tmp, path)
