"""The folder vault's header: everything the server would hold for an account, so a
folder vault needs no server (spec/folder.md §3), and the folder account API the account
layer calls: create, read, change the keyset, start a new generation."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from ..errors import FolderDamaged, FolderExists, ForeignFolderVault, NotAFolderVault
from ..transport import StorageUnavailable
from .layout import ARCHIVE_DIR, HEADER_NAME, TEMP_PREFIX, Kind, classify, generation_dir

__all__ = [
    "FolderHeader",
    "change_keyset",
    "create_folder_vault",
    "read_header",
    "start_new_generation",
    "write_atomic",
]

class _Keep:
    """The type of :data:`KEEP`: leave a header field as it is."""


KEEP = _Keep()

FORMAT = "safehold-folder"
VERSION = 1


@dataclass(frozen=True, slots=True)
class FolderHeader:
    account_id: str  #: lowercase hex
    email: str
    generation: int  #: >= 1; a reset adds one
    keyset_version: int  #: >= 1; a password change adds one
    kdf_salt: bytes
    kdf_params: dict[str, int]  #: Argon2id ``iterations``, ``memory_cost`` (KiB), ``lanes``
    keyset: bytes  #: the sealed keyset, opaque here
    hint: str | None = None
    #: ``account_key_check`` of the account key (spec §3); ``None`` in headers without one.
    key_check: bytes | None = None

    def to_json(self) -> bytes:
        doc: dict[str, Any] = {
            "format": FORMAT,
            "version": VERSION,
            "account_id": self.account_id,
            "email": self.email,
            "generation": self.generation,
            "keyset_version": self.keyset_version,
            "kdf": {"salt": _b64(self.kdf_salt), **self.kdf_params},
            "keyset": _b64(self.keyset),
            "hint": self.hint,
        }
        if self.key_check is not None:
            doc["key_check"] = _b64(self.key_check)
        return (json.dumps(doc, sort_keys=True, indent=1) + "\n").encode()

    @classmethod
    def from_json(cls, data: bytes) -> FolderHeader:
        """Raises ``ValueError`` (with why) for anything that is not a valid header."""
        try:
            doc = json.loads(data)
        except (ValueError, UnicodeDecodeError) as exc:
            raise ValueError("not JSON") from exc
        if not isinstance(doc, dict) or doc.get("format") != FORMAT:
            raise ValueError("not a Safehold folder header")
        if doc.get("version") != VERSION:
            raise ValueError(f"header version {doc.get('version')!r} is not supported")
        try:
            kdf = dict(doc["kdf"])
            salt = _unb64(kdf.pop("salt"))
            params = {k: int(kdf[k]) for k in ("iterations", "memory_cost", "lanes")}
            header = cls(
                account_id=str(doc["account_id"]),
                email=str(doc["email"]),
                generation=int(doc["generation"]),
                keyset_version=int(doc["keyset_version"]),
                kdf_salt=salt,
                kdf_params=params,
                keyset=_unb64(doc["keyset"]),
                hint=None if doc.get("hint") is None else str(doc["hint"]),
                key_check=None if doc.get("key_check") is None else _unb64(doc["key_check"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"a field is missing or malformed ({exc})") from exc
        if header.generation < 1 or header.keyset_version < 1 or not header.account_id:
            raise ValueError("generation and keyset_version must be >= 1")
        return header


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: object) -> bytes:
    if not isinstance(text, str):
        raise ValueError("expected base64url text")
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def write_atomic(directory: Path, name: str, data: bytes) -> None:
    """Write to a temporary name, fsync, rename, fsync the directory (spec §2)."""
    directory.mkdir(parents=True, exist_ok=True)
    tmp = directory / f"{TEMP_PREFIX}{secrets.token_hex(8)}-{name}"
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, directory / name)
    _fsync_dir(directory)


def _fsync_dir(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass  # Some filesystems cannot fsync a directory; the rename is still atomic.
    finally:
        os.close(fd)


def _rank(header: FolderHeader, raw: bytes) -> tuple[int, int, bytes]:
    # Deterministic across devices: newest generation, then newest keyset, then bytes.
    return (header.generation, header.keyset_version, hashlib.sha256(raw).digest())


def read_header(path: Path, account_id: str | None = None) -> FolderHeader:
    """The folder's header, merged over the header and every sync-service copy of it.

    Raises :class:`NotAFolderVault`, :class:`ForeignFolderVault` (when ``account_id`` is
    given and differs), :class:`FolderDamaged`, or :class:`StorageUnavailable` (the
    folder cannot be listed, or only a not-yet-downloaded placeholder is there)."""
    try:
        names = os.listdir(path)
    except FileNotFoundError:
        raise NotAFolderVault(f"{path} does not exist", hint="check the folder path") from None
    except OSError as exc:
        raise StorageUnavailable(f"cannot read the folder {path}: {exc.strerror}") from None
    best: tuple[tuple[int, int, bytes], FolderHeader] | None = None
    seen = placeholder = False
    problems: list[str] = []
    for name in names:
        entry = classify(name)
        if entry.canonical != HEADER_NAME:
            continue
        if entry.kind is Kind.PLACEHOLDER:
            placeholder = True
            continue
        if entry.kind not in (Kind.ORIGINAL, Kind.COPY):
            continue
        seen = True
        try:
            raw = (path / name).read_bytes()
            header = FolderHeader.from_json(raw)
        except OSError as exc:
            problems.append(f"{name}: {exc.strerror}")
            continue
        except ValueError as exc:
            problems.append(f"{name}: {exc}")
            continue
        rank = _rank(header, raw)
        if best is None or rank > best[0]:
            best = (rank, header)
    if best is None:
        if seen:
            raise FolderDamaged(
                f"the vault header in {path} cannot be read ({'; '.join(sorted(problems))})",
                hint="restore the folder's safehold-folder.json from a backup or another device",
            )
        if placeholder:
            raise StorageUnavailable(f"the vault header in {path} is not downloaded yet")
        raise NotAFolderVault(f"{path} holds no Safehold vault", hint="check the folder path")
    header = best[1]
    if account_id is not None and header.account_id != account_id:
        raise ForeignFolderVault(f"{path} holds another account's vault", hint="check the folder path")
    return header


def create_folder_vault(path: Path, header: FolderHeader) -> None:
    """Write a new vault's header; refuses a folder that already holds a vault."""
    path.mkdir(parents=True, exist_ok=True)
    if any(classify(n).canonical == HEADER_NAME for n in os.listdir(path)):
        raise FolderExists(f"{path} already holds a Safehold vault", hint="log in to it, or reset it")
    write_atomic(path, HEADER_NAME, header.to_json())
    (path / generation_dir(header.generation)).mkdir(exist_ok=True)


def change_keyset(
    path: Path,
    account_id: str,
    keyset: bytes,
    kdf_salt: bytes,
    kdf_params: dict[str, int],
    *,
    hint: str | _Keep | None = KEEP,
    key_check: bytes | _Keep = KEEP,
) -> FolderHeader:
    """Password change: the new keyset and KDF parameters, ``keyset_version + 1`` (and a
    new ``hint`` when one is given; ``None`` removes it). Key rotation also gives the new
    account key's ``key_check``."""
    current = read_header(path, account_id)
    new = replace(
        current,
        keyset=keyset,
        kdf_salt=kdf_salt,
        kdf_params=dict(kdf_params),
        keyset_version=current.keyset_version + 1,
        hint=current.hint if isinstance(hint, _Keep) else hint,
        key_check=current.key_check if isinstance(key_check, _Keep) else key_check,
    )
    write_atomic(path, HEADER_NAME, new.to_json())
    return new


def start_new_generation(path: Path, header: FolderHeader, *, expect: int | None = None) -> FolderHeader:
    """Reset: write ``header`` at ``generation + 1`` and MOVE every older generation's
    directory into ``archive/`` (never delete). ``header.generation`` is ignored; with
    ``expect``, nothing is written unless ``generation + 1`` is ``expect`` (the keyset in
    ``header`` was sealed for it)."""
    current = read_header(path, header.account_id)
    if expect is not None and current.generation + 1 != expect:
        raise FolderExists(
            f"the vault in {path} is at generation {current.generation} now; nothing was changed",
            hint="another device reset it meanwhile: run the reset again",
        )
    new = replace(header, generation=current.generation + 1, keyset_version=1)
    write_atomic(path, HEADER_NAME, new.to_json())
    (path / generation_dir(new.generation)).mkdir(exist_ok=True)
    archive_old_generations(path, new.generation)
    return new


def generation_after_damage(path: Path) -> int:
    """The generation a reset of a folder whose header cannot be read starts: one above
    every generation directory there (live or archived), so no device takes the new one
    for an old one."""
    found = [0]
    for where in (path, path / ARCHIVE_DIR):
        try:
            names = os.listdir(where)
        except FileNotFoundError:
            continue
        for name in names:
            digits = name[1:].split("-", 1)[0]
            if name.startswith("g") and digits.isdigit():
                found.append(int(digits))
    return max(found) + 1


def start_over_damaged(path: Path, header: FolderHeader) -> FolderHeader:
    """Reset of a folder whose header no copy of can be read (:class:`FolderDamaged`): every
    header copy is MOVED into ``archive/`` (never deleted: a tool may still read it), then
    ``header`` is written at ``header.generation``, which must be
    :func:`generation_after_damage`, and older generations are archived as on any reset."""
    expect = generation_after_damage(path)
    if header.generation != expect:
        raise FolderExists(
            f"the vault in {path} changed meanwhile (generation {expect - 1} there); nothing was changed",
            hint="run the reset again",
        )
    archive = path / ARCHIVE_DIR
    archive.mkdir(exist_ok=True)
    for name in os.listdir(path):
        entry = classify(name)
        if entry.canonical == HEADER_NAME and entry.kind in (Kind.ORIGINAL, Kind.COPY):
            target = archive / f"{name}.unreadable-g{expect - 1}"
            n = 1
            while target.exists():
                n += 1
                target = archive / f"{name}.unreadable-g{expect - 1}-{n}"
            os.rename(path / name, target)
    new = replace(header, keyset_version=1)
    write_atomic(path, HEADER_NAME, new.to_json())
    (path / generation_dir(new.generation)).mkdir(exist_ok=True)
    archive_old_generations(path, new.generation)
    return new


def archive_old_generations(path: Path, generation: int) -> None:
    """Move ``g<N>`` for every N < ``generation`` into ``archive/`` (any device MAY)."""
    archive = path / ARCHIVE_DIR
    for name in os.listdir(path):
        if not (name.startswith("g") and name[1:].isdigit() and int(name[1:]) < generation):
            continue
        archive.mkdir(exist_ok=True)
        target = archive / name
        n = 1
        while target.exists():  # a late copy of an already archived generation
            n += 1
            target = archive / f"{name}-{n}"
        try:
            os.rename(path / name, target)
        except OSError:
            continue  # another device moved it first; nothing is lost either way
    _fsync_dir(path)
