"""The server secret: it derives the fake sign-in answers for unknown emails and keys the
hashes of addresses in rate-limit buckets. Several processes serving one database must
share it (set ``SAFEHOLD_SECRET``); otherwise it is generated once per data directory."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .settings import Settings

SECRET_FILE = "server-secret"


def load_secret(settings: Settings) -> bytes:
    if settings.secret is not None:
        return settings.secret.get_secret_value().encode("utf-8")
    path = settings.data_dir / SECRET_FILE
    if path.exists():
        return path.read_bytes().strip()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32).encode("ascii")
    _write_private(path, value)
    # Another process may have won the race; everyone uses whatever is on disk.
    return path.read_bytes().strip()


def _write_private(path: Path, value: bytes) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return
    with os.fdopen(fd, "wb") as handle:
        handle.write(value)
