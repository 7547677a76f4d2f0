"""A stand-in for a file sync service (Dropbox, Syncthing, iCloud) joining vault folders.

It copies files between folders the way those services do: one file at a time, in any
order (late and out-of-order files), sometimes only part of a file first (a half-uploaded
file, finished by a later copy), and when the destination already holds a *different*
file of the same name it keeps both, saving the incoming one under a conflicted-copy name
in one of the real services' spellings. It never opens what it copies.
"""

from __future__ import annotations

import os
import random
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["SyncService", "conflicted_name"]

_STYLES = ("dropbox", "dropbox-named", "syncthing", "icloud")


def conflicted_name(name: str, style: str, n: int = 2) -> str:
    """``name`` as a sync service names its conflicted copy."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    suffix = f".{ext}" if ext else ""
    if style == "dropbox":
        return f"{stem} (conflicted copy 2026-12-04){suffix}"
    if style == "dropbox-named":
        return f"{stem} (Ada's conflicted copy 2026-12-04){suffix}"
    if style == "syncthing":
        return f"{stem}.sync-conflict-20261204-101112-ABCDEF{n}{suffix}"
    if style == "icloud":
        return f"{stem} {n}{suffix}"
    raise ValueError(style)


def _files(root: Path) -> dict[str, tuple[int, bytes]]:
    out: dict[str, tuple[int, bytes]] = {}
    for dirpath, _dirs, names in os.walk(root):
        for name in names:
            if name.startswith(".tmp-"):
                continue  # a write in progress is not visible to a sync service
            p = Path(dirpath) / name
            out[str(p.relative_to(root))] = (p.stat().st_mtime_ns, p.read_bytes())
    return out


@dataclass
class SyncService:
    folders: list[Path]
    rng: random.Random = field(default_factory=lambda: random.Random(0))
    truncate_rate: float = 0.2

    def pending(self) -> list[tuple[int, int, str]]:
        """Every (source, destination, relative path) whose copy differs."""
        snaps = [_files(f) for f in self.folders]
        out = []
        for i, src in enumerate(snaps):
            for j, dst in enumerate(snaps):
                if i == j:
                    continue
                for rel, (mtime, data) in src.items():
                    have = dst.get(rel)
                    newer = have is None or (
                        have[1] != data and mtime >= have[0] and not _is_older_copy(have[1], data)
                    )
                    if newer:
                        out.append((i, j, rel))
        return out

    def step(self) -> bool:
        """Copy one pending file (maybe partly, maybe as a conflicted copy)."""
        todo = self.pending()
        if not todo:
            return False
        i, j, rel = self.rng.choice(sorted(todo))
        self.copy(i, j, rel, truncate=self.rng.random() < self.truncate_rate)
        return True

    conflict_rate: float = 0.3

    def copy(self, i: int, j: int, rel: str, *, truncate: bool = False) -> None:
        src = self.folders[i] / rel
        data = src.read_bytes()
        mtime = src.stat().st_mtime_ns
        dst = self.folders[j] / rel
        dst.parent.mkdir(parents=True, exist_ok=True)
        if truncate and len(data) > 1:
            data = data[: self.rng.randrange(1, len(data))]
        elif dst.exists():
            old = dst.read_bytes()
            if not data.startswith(old) and self.rng.random() < self.conflict_rate:
                # Both sides changed the file (as far as the service can tell): keep
                # both, the incoming one under a conflicted-copy name.
                style = self.rng.choice(_STYLES)
                copy = dst.parent / conflicted_name(dst.name, style)
                copy.write_bytes(data)
                os.utime(copy, ns=(mtime, mtime))
                return
        dst.write_bytes(data)
        os.utime(dst, ns=(mtime, mtime))

    def settle(self, max_steps: int = 100_000) -> None:
        """Copy everything everywhere, whole."""
        self.truncate_rate = 0.0
        self.conflict_rate = 0.0
        for _ in range(max_steps):
            if not self.step():
                return
        raise AssertionError("the sync service did not settle")


def _is_older_copy(dst: bytes | None, src: bytes) -> bool:
    # The destination holds a longer version of which the source is a prefix: the
    # source is the stale, half-copied one; copying it back would undo progress.
    return dst is not None and len(dst) > len(src) and dst.startswith(src)
