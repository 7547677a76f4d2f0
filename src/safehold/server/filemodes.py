"""File modes of the server's data: only the server's own user may read any of it.

The data directory holds the database (with its WAL and shared-memory files), the server
secret, the log and the mail outbox, whose messages carry live reset links: any local user
who can read them can reset any account. ``serve`` therefore sets the umask to 077 before it
creates anything, and at start tightens what an earlier version (or a careless copy) left
readable to others, saying in the log what it changed.
"""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Iterable
from pathlib import Path

from .settings import Settings

log = logging.getLogger("safehold.server.files")

DIR_MODE = 0o700
FILE_MODE = 0o600
#: Ask the kernel for private files from the first one on.
UMASK = 0o077


def _sqlite_path(url: str) -> Path | None:
    prefix = "sqlite:///"
    if not url.startswith(prefix) or url == prefix + ":memory:":
        return None
    return Path(url[len(prefix) :]).expanduser()


def data_paths(settings: Settings) -> list[Path]:
    """Every directory and file the server keeps, existing or not."""
    paths: list[Path] = [settings.data_dir, settings.data_dir / "server-secret", settings.outbox_dir]
    database = _sqlite_path(settings.effective_database_url)
    if database is not None:
        paths += [database, Path(f"{database}-wal"), Path(f"{database}-shm")]
    if settings.log_file is not None:
        paths.append(settings.log_file)
    return paths


def _tighten(path: Path, wanted: int) -> bool:
    """Drop every permission bit beyond ``wanted``; ``True`` if the mode changed."""
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & ~wanted == 0:
        return False
    path.chmod(mode & wanted)
    return True


def secure(paths: Iterable[Path]) -> list[str]:
    """Make the data directory and the outbox 0700 and the files in them 0600.

    Returns what was changed, one line each, and logs it. Only the server's own
    directories are tightened: a database or log file elsewhere (say in ``/var/log``) is
    tightened itself, its directory is left as it is."""
    changed: list[str] = []
    for path in paths:
        try:
            if not path.exists():
                continue
            wanted = DIR_MODE if path.is_dir() else FILE_MODE
            if _tighten(path, wanted):
                changed.append(f"{path}: now {oct(wanted)[2:]}")
            if path.is_dir():
                for child in path.iterdir():
                    if child.is_file() and _tighten(child, FILE_MODE):
                        changed.append(f"{child}: now {oct(FILE_MODE)[2:]}")
        except OSError as exc:  # not ours to change: say so rather than stop the server
            log.warning("could not tighten the mode of %s: %s", path, exc.strerror or exc)
    for line in changed:
        log.warning("file mode tightened (it was readable by other users): %s", line)
    return changed


def restrict_umask(settings: Settings) -> None:
    """Called by ``serve`` before anything is opened or written (the log file included)."""
    os.umask(UMASK)
    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
