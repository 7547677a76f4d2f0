"""The ``--from`` names, and detection of the format from a file's content."""

from __future__ import annotations

import io
import json
import re
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Final

from safehold.client.items import normalize_name

from .._bulk import bulk
from . import bitwarden, browsers, keepass, lastpass, msecure, onepassword, safehold
from ._base import CorruptFile, ImportFailure, ImportRead, UnknownFormat
from ._csv import decode

#: Files larger than this are refused before they are read.
MAX_FILE_BYTES: Final = 256 * 1024 * 1024

Reader = Callable[[bytes], ImportRead]
_CSV_READERS: Final[dict[str, Reader]] = {
    "msecure6-csv": msecure.read_v6,
    "msecure5-csv": msecure.read_v5,
    "bitwarden-csv": bitwarden.read_csv,
    "chrome-csv": browsers.read_chrome,
    "firefox-csv": browsers.read_firefox,
    "safari-csv": browsers.read_safari,
    "keepassxc-csv": keepass.read_keepassxc_csv,
    "keepass2-csv": keepass.read_keepass2_csv,
    "1password-csv": onepassword.read_csv,
    "lastpass-csv": lastpass.read_csv,
    "safehold-csv": safehold.read_csv,
}
#: Every format this build reads, in the order `--help` lists them.
FORMATS: Final = ("bitwarden-json", "1password-1pux", *_CSV_READERS, "kdbx", "safehold-json")
#: Formats Safehold will read, not yet in this build: named, so the error says so.
NOT_YET: Final[tuple[str, ...]] = ()

# Header sets (lower case) that identify a CSV, most specific first.
_SIGNATURES: Final = (
    ("safehold-csv", {"id", "type", "title", "username", "password", "url", "otp", "fields", "modified"}),
    (
        "bitwarden-csv",
        {"folder", "favorite", "type", "name", "login_uri", "login_username", "login_password"},
    ),
    ("firefox-csv", {"url", "username", "password", "httprealm", "formactionorigin", "guid"}),
    ("lastpass-csv", {"url", "username", "password", "extra", "name", "grouping", "fav"}),
    ("1password-csv", {"title", "url", "username", "password", "archived"}),
    ("safari-csv", {"title", "url", "username", "password", "otpauth"}),
    ("keepassxc-csv", {"group", "title", "username", "password", "url", "notes"}),
    ("keepass2-csv", {"account", "login name", "password", "web site"}),
    ("chrome-csv", {"name", "url", "username", "password"}),
)


def detect(path: Path, head: bytes) -> str:
    """The ``--from`` name that fits ``head`` (the file's first bytes)."""
    if head.startswith(b"\x03\xd9\xa2\x9a"):
        return "kdbx"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(path.read_bytes())) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError):
            raise CorruptFile("the file is a damaged zip archive (truncated?)") from None
        if onepassword.is_1pux(names):
            return "1password-1pux"
        raise UnknownFormat(_unknown("a zip archive of no format Safehold knows"))
    text = decode(head).lstrip()
    if text.startswith("{"):
        # The formats' own first keys, in the first bytes: no need to parse the whole file
        # twice (a large export takes a noticeable part of an import to parse).
        compact = re.sub(r"\s+", "", text[:1024])
        if '"format":"safehold-export"' in compact:
            return "safehold-json"
        if compact.startswith(('{"encrypted":', '{"passwordProtected":')):
            return "bitwarden-json"
        try:
            doc = json.loads(decode(path.read_bytes()))
        except ValueError:
            raise CorruptFile("the file looks like JSON but is not valid JSON (truncated?)") from None
        if isinstance(doc, dict) and doc.get("format") == "safehold-export":
            return "safehold-json"
        if (isinstance(doc, dict) and "items" in doc) or (
            isinstance(doc, dict) and doc.get("encrypted") is True
        ):
            return "bitwarden-json"
        raise UnknownFormat(_unknown("a JSON file of no format Safehold knows"))
    first_line = text.splitlines()[0] if text else ""
    if normalize_name(first_line.strip('", ')) == normalize_name(msecure.MARKER_V6):
        return "msecure6-csv"
    header = {cell.strip().strip('"').lower() for cell in first_line.split(",")}
    for name, wanted in _SIGNATURES:
        if wanted <= header:
            return name
    if _MSECURE6_ROW.match(first_line):
        return "msecure6-csv"  # an mSecure 6 export whose marker line was taken out
    if msecure.looks_like_v5(text):
        return "msecure5-csv"
    raise UnknownFormat(_unknown("the file's content matches no format Safehold knows"))


#: An mSecure 6 record's first cells: ``Title|record-id,Template,``.
_MSECURE6_ROW: Final = re.compile(r'^"?[^,|]*\|\d+"?,[^,|]+,')


def _unknown(what: str) -> str:
    return f"{what}; give --from with one of: {', '.join(FORMATS)}"


def read_file(
    path: Path,
    fmt: str | None,
    *,
    file_password: Callable[[], str] | None = None,
    key_file: Path | None = None,
) -> ImportRead:
    """Read ``path`` as ``fmt`` (detected when ``None``). ``file_password`` is called only
    for a format that needs one."""
    if fmt == "safehold-backup":
        raise UnknownFormat("a Safehold backup is brought back with `safehold restore FILE`")
    if fmt is not None and fmt in NOT_YET:
        raise UnknownFormat(f"{fmt} is not read by this build yet; it reads: {', '.join(FORMATS)}")
    if fmt is not None and fmt not in FORMATS:
        raise UnknownFormat(f"unknown format {fmt!r}; the formats are: {', '.join(FORMATS)}")
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise CorruptFile(
                f"the file is {size // 2**20} MiB; imports are limited to {MAX_FILE_BYTES // 2**20} MiB"
            )
        with path.open("rb") as handle:
            head = handle.read(4096)
    except FileNotFoundError:
        raise ImportFailure(f"{path}: no such file") from None
    except IsADirectoryError:
        raise ImportFailure(f"{path} is a folder, not a file") from None
    except OSError as exc:
        raise ImportFailure(f"could not read {path}: {exc.strerror or exc}") from None
    fmt = fmt or detect(path, head)
    with bulk():  # the readers make many small, acyclic dicts
        return _read(path, fmt, file_password, key_file)


def _read(
    path: Path, fmt: str, file_password: Callable[[], str] | None, key_file: Path | None
) -> ImportRead:
    if fmt == "kdbx":
        return keepass.read_kdbx(path, file_password() if file_password else None, key_file)
    data = path.read_bytes()
    if fmt == "bitwarden-json":
        return bitwarden.read_json(data, file_password)
    if fmt == "safehold-json":
        return safehold.read_json(data)
    if fmt == "1password-1pux":
        return onepassword.read_1pux(data)
    return _CSV_READERS[fmt](data)
