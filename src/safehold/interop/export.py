"""Exports: the vault's items written in another program's format (spec/items.md).

Every format here is unencrypted except ``kdbx``; the CLI warns before writing one. Files
are created 0600 under a temporary name and renamed into place, so a half-written export
is never left behind and no other user can read one, not even for a moment.

    safehold-json   lossless: the items exactly as spec/items.md writes them, with their ids
    bitwarden-json  Bitwarden's unencrypted JSON export (folders from tags)
    csv             one row per item; the column set is documented in docs/cli.md
    kdbx            a KeePass database with a password of its own (pykeepass)
"""

from __future__ import annotations

import base64
import csv
import io
import json
import os
import re
import struct
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Final

from safehold.client.items import TEMPLATE_ITEM_TYPE, Item, ItemError, Template

from ._bulk import bulk

__all__ = [
    "CSV_COLUMNS",
    "FORMATS",
    "ExportError",
    "ExportItem",
    "export_items",
    "render",
    "write_private",
]

#: The ``--format`` names, and whether the file is encrypted.
FORMATS: Final[dict[str, bool]] = {
    "safehold-json": False,
    "bitwarden-json": False,
    "csv": False,
    "kdbx": True,
}
SAFEHOLD_EXPORT_VERSION: Final = 1
CSV_COLUMNS: Final = (
    "id", "type", "title", "username", "password", "url", "otp", "notes", "tags", "favorite",
    "created", "modified", "fields",
)  # fmt: skip


#: ``progress(done, total)``: called as items are written.
Progress = Callable[[int, int], None]


class ExportError(Exception):
    """An export that cannot be written; the message says why."""


@dataclass(frozen=True, slots=True)
class ExportItem:
    """One vault item to export: its id and its JSON (spec/items.md)."""

    item_id: str
    data: dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _templates(items: Sequence[ExportItem]) -> list[Template]:
    out = []
    for it in items:
        if it.data.get("type") == TEMPLATE_ITEM_TYPE:
            try:
                out.append(Template.from_json(it.data.get("template", it.data)))
            except ItemError:  # a damaged type is still exported as its item
                continue
    return out


def _items(items: Sequence[ExportItem]) -> list[tuple[ExportItem, Item]]:
    """The items (not the user-defined types) read through the model, so labels and kinds
    are known; an item the model refuses is still exported by the lossless format."""
    templates = _templates(items)
    out = []
    for it in items:
        if it.data.get("type") == TEMPLATE_ITEM_TYPE:
            continue
        out.append((it, Item.from_json(it.data, custom_templates=templates)))
    return out


def _one_item_a_line(document: dict[str, Any], *, sort_keys: bool) -> bytes:
    """``document`` as JSON with each of its ``items`` on a line of its own (the other keys
    first): readable and diffable, and written by json's C encoder (``indent`` would use the
    pure-Python one, most of a large export's time)."""

    def dump(value: Any) -> str:
        return json.dumps(value, ensure_ascii=False, sort_keys=sort_keys)

    head = [f"{dump(k)}: {dump(v)}" for k, v in document.items() if k != "items"]
    if sort_keys:
        head.sort()
    lines = ",\n".join(dump(item) for item in document["items"])
    return ("{" + ", ".join(head) + ',\n"items": [\n' + lines + "\n]}\n").encode("utf-8")


# --- safehold-json ----------------------------------------------------------------------


def _safehold_json(items: Sequence[ExportItem]) -> bytes:
    document = {
        "format": "safehold-export",
        "version": SAFEHOLD_EXPORT_VERSION,
        "exported": _now(),
        "items": [{"id": it.item_id, "item": it.data} for it in items],
    }
    return _one_item_a_line(document, sort_keys=True)


# --- csv --------------------------------------------------------------------------------

#: Which template field fills the csv's username, password, url and otp columns.
_COLUMN_KEYS: Final = {
    "username": ("username", "email", "member_id", "name_on_card", "network_name"),
    "password": ("password", "pin", "code", "licence_key", "security_code"),
    "url": ("website", "admin_url"),
    "otp": ("one_time_password",),
}


def _columns(item: Item) -> tuple[dict[str, str], dict[str, str]]:
    """(the four well-known columns, every other field by label)."""
    taken: set[str] = set()
    known: dict[str, str] = {}
    for column, keys in _COLUMN_KEYS.items():
        key = next((k for k in keys if item.fields.get(k)), None)
        known[column] = item.fields.get(key, "") if key else ""
        if key:
            taken.add(key)
    rest: dict[str, str] = {}
    labels = {spec.key: spec.label for spec in item.template.fields}
    # A field in one of the four columns under its own key (a login's) is not repeated; one
    # standing in for it (a card's security code as the password) is, so a reader of the
    # ``fields`` column knows which field each value is (safehold-csv import reads it back).
    primary = {keys[0] for keys in _COLUMN_KEYS.values()}
    for key, value in item.fields.items():
        if value and (key not in taken or key not in primary):
            rest[labels.get(key, key)] = value
    for custom in item.custom:
        rest.setdefault(custom.name, custom.value)
    return known, rest


def _csv(items: Sequence[ExportItem]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for it, item in _items(items):
        known, rest = _columns(item)
        writer.writerow(
            [
                it.item_id, item.type, item.title, known["username"], known["password"], known["url"],
                known["otp"], item.notes, ",".join(item.tags), "1" if item.favorite else "",
                it.data.get("created", ""), it.data.get("modified", ""),
                json.dumps(rest, ensure_ascii=False, sort_keys=True) if rest else "",
            ]
        )  # fmt: skip
    return buffer.getvalue().encode("utf-8")


# --- bitwarden-json ---------------------------------------------------------------------

_BW_LOGIN, _BW_NOTE, _BW_CARD, _BW_IDENTITY = 1, 2, 3, 4
_BW_TEXT, _BW_HIDDEN = 0, 1
#: The custom field holding every tag of an item with more than one (read back on import).
BW_TAGS_FIELD: Final = "Safehold tags"
_BW_CARD_KEYS: Final = {"name_on_card": "cardholderName", "card_number": "number", "security_code": "code"}
_BW_IDENTITY_KEYS: Final = {
    "first_name": "firstName", "middle_name": "middleName", "last_name": "lastName",
    "company": "company", "email": "email", "home_phone": "phone", "address": "address1",
}  # fmt: skip


def _bw_field(name: str, value: str, hidden: bool) -> dict[str, Any]:
    return {"name": name, "value": value, "type": _BW_HIDDEN if hidden else _BW_TEXT, "linkedId": None}


def _bitwarden_item(it: ExportItem, item: Item, folders: dict[str, str]) -> dict[str, Any]:
    kinds = {spec.key: spec for spec in item.template.fields}
    used: set[str] = set()
    out: dict[str, Any] = {
        "id": it.item_id,
        "organizationId": None,
        "folderId": folders.get(item.tags[0]) if item.tags else None,
        "name": item.title,
        "notes": item.notes or None,
        "favorite": item.favorite,
        "reprompt": 0,
        "creationDate": it.data.get("created"),
        "revisionDate": it.data.get("modified"),
        "collectionIds": None,
    }
    if item.type in ("login", "email_account", "frequent_flyer", "membership", "server"):
        out["type"] = _BW_LOGIN
        url = item.fields.get("website") or item.fields.get("admin_url")
        out["login"] = {
            "username": item.fields.get("username") or None,
            "password": item.fields.get("password") or None,
            "totp": item.fields.get("one_time_password") or None,
            "uris": [{"match": None, "uri": url}] if url else [],
            "passwordRevisionDate": None,
            "fido2Credentials": [],
        }
        used |= {"username", "password", "one_time_password"}
        used.add("website" if item.fields.get("website") else "admin_url")
    elif item.type == "credit_card":
        out["type"] = _BW_CARD
        card: dict[str, Any] = {bw: item.fields.get(key) or None for key, bw in _BW_CARD_KEYS.items()}
        month, _, year = item.fields.get("expiration_date", "").partition("/")
        if "-" in item.fields.get("expiration_date", ""):
            year, _, month = item.fields["expiration_date"].partition("-")
        card.update({"expMonth": month or None, "expYear": year or None, "brand": None})
        out["card"] = card
        used |= set(_BW_CARD_KEYS) | {"expiration_date"}
    elif item.type == "identity":
        out["type"] = _BW_IDENTITY
        out["identity"] = {bw: item.fields.get(key) or None for key, bw in _BW_IDENTITY_KEYS.items()}
        used |= set(_BW_IDENTITY_KEYS)
    else:
        out["type"] = _BW_NOTE
        out["secureNote"] = {"type": 0}
    fields = [
        _bw_field(
            kinds[key].label if key in kinds else key, value, key in kinds and kinds[key].kind == "hidden"
        )
        for key, value in item.fields.items()
        if key not in used and value
    ]
    fields += [_bw_field(c.name, c.value, c.kind == "hidden") for c in item.custom]
    if item.type not in ("login", "credit_card", "identity", "secure_note"):
        fields.append(_bw_field("Safehold type", item.template.label or item.type, False))
    if len(item.tags) > 1:
        # A Bitwarden item has one folder (the first tag); the others would be lost.
        fields.append(_bw_field(BW_TAGS_FIELD, json.dumps(list(item.tags), ensure_ascii=False), False))
    out["fields"] = fields
    history = [
        {"lastUsedDate": h.changed.strftime("%Y-%m-%dT%H:%M:%SZ"), "password": h.value}
        for h in item.history
        if h.field == "password"
    ]
    out["passwordHistory"] = history or None
    return out


def _bitwarden_json(items: Sequence[ExportItem]) -> bytes:
    pairs = _items(items)
    tags = sorted({tag for _, item in pairs for tag in item.tags})
    folders = {tag: f"{index:08x}-0000-4000-8000-000000000000" for index, tag in enumerate(tags, 1)}
    document = {
        "encrypted": False,
        "folders": [{"id": folders[tag], "name": tag} for tag in tags],
        "items": [_bitwarden_item(it, item, folders) for it, item in pairs],
    }
    return _one_item_a_line(document, sort_keys=False)


# --- kdbx -------------------------------------------------------------------------------

#: KeePass's own string fields, which a custom field of that name must not replace.
_KDBX_RESERVED: Final = frozenset({"Title", "UserName", "Password", "URL", "Notes", "otp"})
#: Characters XML 1.0 cannot hold (KeePass's file is XML inside): shown as U+FFFD.
_XML_INVALID: Final = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
#: The two custom strings that let our own importer read an entry back as the item it was.
KDBX_TYPE_KEY, KDBX_ID_KEY = "Safehold type", "Safehold id"


def _xml(text: str) -> str:
    return _XML_INVALID.sub("\ufffd", text)


class _Strings:
    """An entry's ``<String>`` elements, written directly: pykeepass's setter runs an
    XPath per call and cannot take a name with a quote in it."""

    def __init__(self, element: Any) -> None:
        self.element = element
        self.names: dict[str, str] = {}  # label -> the key it was written under

    def add(self, label: str, value: str, protect: bool) -> None:
        from pykeepass.entry import E  # lxml's element maker, as pykeepass builds entries

        key, n = label.strip() or "Field", 2
        while key in _KDBX_RESERVED or key in self.names.values():
            key, n = f"{label} ({n})", n + 1
        self.names[label] = key
        value_element = E.Value(_xml(value), Protected="True") if protect else E.Value(_xml(value))
        self.element.append(E.String(E.Key(_xml(key)), value_element))


def _history_snapshots(entry: Any, item: Item, where: dict[str, str], database: Any) -> None:
    """KeePass keeps history as whole earlier copies of the entry: one per old value, the
    copy holding that value in its place and the time it was replaced."""
    from copy import deepcopy

    from pykeepass.entry import E

    if not item.history:
        return
    history = E.History()
    for old in sorted(item.history, key=lambda h: h.changed):
        snapshot = deepcopy(entry._element)
        key = where.get(old.field, old.field)
        for string in snapshot.findall("String"):
            if string.findtext("Key") == key:
                string.find("Value").text = _xml(old.value)
                break
        else:
            snapshot.append(E.String(E.Key(_xml(key)), E.Value(_xml(old.value), Protected="True")))
        times = snapshot.find("Times")
        if times is not None and times.find("LastModificationTime") is not None:
            times.find("LastModificationTime").text = database._encode_time(old.changed)
        history.append(snapshot)
    entry._element.append(history)


#: The Argon2id output of pykeepass's blank template database under its published
#: password: not a secret (both are in pykeepass), cached so an export runs the KDF once,
#: for its own password. A pykeepass whose template differs is opened the slow way.
_BLANK_TRANSFORMED_KEY: Final = bytes.fromhex(
    "0962cbeeed2e51b1417f31f21ef90cca3b205fe9bd987232ae23136a83be0cf7"
)


def _blank_database() -> Any:
    from pykeepass import PyKeePass
    from pykeepass.exceptions import CredentialsError
    from pykeepass.pykeepass import BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD

    try:
        return PyKeePass(BLANK_DATABASE_LOCATION, transformed_key=_BLANK_TRANSFORMED_KEY)
    except CredentialsError:
        return PyKeePass(BLANK_DATABASE_LOCATION, BLANK_DATABASE_PASSWORD)


def _kdbx(
    items: Sequence[ExportItem], path: Path, password: str, progress: Progress | None = None
) -> None:
    # Imported here: only this format needs pykeepass. The database is started from
    # pykeepass's blank one and saved once: create_database() saves it as well, and every
    # save runs the database's Argon2id (seconds, by design).
    from pykeepass.entry import Entry

    database = _blank_database()
    database.filename, database.password, database.keyfile = str(path), password, None
    root = database.root_group
    now = _kdbx_time(datetime.now(UTC))
    pairs = _items(items)
    for done, (it, item) in enumerate(pairs, 1):
        known, _ = _columns(item)
        login = item.type == "login"
        entry = Entry(element=_entry_element(item, known, now), kp=database)
        strings = _Strings(entry._element)
        # Where each value's history goes: login fields are KeePass's own strings.
        where = {"password": "Password"} if login or known["password"] else {}
        for spec in item.template.fields:
            value = item.fields.get(spec.key, "")
            if not value or (login and spec.key in _LOGIN_STANDARD):
                continue
            # Other types keep every field under its label (the standard strings above
            # are copies for KeePass's own columns), so our importer reads them back.
            standard = {"Password": known["password"], "UserName": known["username"], "URL": known["url"]}
            if standard.get(spec.label) == value:
                where[spec.key] = spec.label  # already there, under KeePass's own name
                continue
            strings.add(spec.label, value, protect=spec.kind == "hidden")
            where[spec.key] = strings.names[spec.label]
        labels = {spec.key for spec in item.template.fields}
        for key, value in item.fields.items():
            if value and key not in labels:
                strings.add(key, value, protect=False)
                where[key] = strings.names[key]
        for custom in item.custom:
            strings.add(custom.name, custom.value, protect=custom.kind in ("hidden", "totp"))
            where[custom.name] = strings.names[custom.name]
        strings.add(KDBX_TYPE_KEY, item.type, protect=False)
        strings.add(KDBX_ID_KEY, it.item_id, protect=False)
        _history_snapshots(entry, item, where, database)
        root.append(entry)
        if progress is not None:
            progress(done, len(pairs))
    database.save()


#: KDBX 4 times: seconds since 0001-01-01 UTC, little-endian, base64 (as pykeepass writes
#: them for the KDBX 4 database its blank template is).
_KDBX_EPOCH: Final = datetime(1, 1, 1, tzinfo=UTC)


def _kdbx_time(at: datetime) -> str:
    seconds = int((at.astimezone(UTC) - _KDBX_EPOCH).total_seconds())
    return base64.b64encode(struct.pack("<Q", seconds)).decode("ascii")


def _entry_element(item: Item, known: dict[str, str], now: str) -> Any:
    """An ``<Entry>`` as pykeepass's ``Entry()`` builds it, with the item's times, made
    directly: pykeepass's constructor re-reads the database version for every time it
    writes and takes a time-based UUID, most of a large export's per-entry cost."""
    from pykeepass.entry import E

    strings = [E.String(E.Key("Title"), E.Value(_xml(item.title or "(untitled)"))),
               E.String(E.Key("UserName"), E.Value(_xml(known["username"]))),
               E.String(E.Key("Password"), E.Value(_xml(known["password"]), Protected="True"))]  # fmt: skip
    if known["url"]:
        strings.append(E.String(E.Key("URL"), E.Value(_xml(known["url"]))))
    if item.notes:
        strings.append(E.String(E.Key("Notes"), E.Value(_xml(item.notes))))
    if known["otp"]:  # KeePassXC's own "otp" attribute
        strings.append(E.String(E.Key("otp"), E.Value(_xml(known["otp"]), Protected="True")))
    tags = [E.Tags(";".join(_xml(t) for t in item.tags))] if item.tags else []
    return E.Entry(
        E.UUID(base64.b64encode(uuid.uuid4().bytes).decode("ascii")),
        E.Times(
            E.CreationTime(_kdbx_time(item.created)),
            E.LastModificationTime(_kdbx_time(item.modified)),
            E.LastAccessTime(now),
            E.ExpiryTime(now),
            E.Expires("False"),
            E.UsageCount("0"),
            E.LocationChanged(now),
        ),
        *strings,
        *tags,
        E.AutoType(
            E.Enabled("True"),
            E.DataTransferObfuscation("0"),
            E.DefaultSequence(""),
            E.Association(E.Window(""), E.KeystrokeSequence("")),
        ),
    )


#: Login fields written as KeePass's own strings (Title, UserName, Password, URL, otp).
_LOGIN_STANDARD: Final = frozenset({"website", "username", "password", "one_time_password"})


# --- writing ----------------------------------------------------------------------------

_RENDERERS: Final[dict[str, Callable[[Sequence[ExportItem]], bytes]]] = {
    "safehold-json": _safehold_json,
    "bitwarden-json": _bitwarden_json,
    "csv": _csv,
}


def render(items: Sequence[ExportItem], fmt: str) -> bytes:
    """The file's bytes, for every format but ``kdbx``."""
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        raise ExportError(f"unknown export format {fmt!r}; the formats are: {', '.join(FORMATS)}")
    return renderer(items)


def write_private(path: Path, write: Callable[[Path], None]) -> None:
    """Call ``write(tmp)`` on a fresh 0600 file beside ``path``, then rename it into place."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    fd = os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600)
    os.close(fd)
    # A library that writes the file itself (pykeepass) creates it under the umask.
    old_umask = os.umask(0o077)
    try:
        write(tmp)
        os.chmod(tmp, 0o600)  # a library that rewrote the file must not have widened it
        with open(tmp, "rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    finally:
        os.umask(old_umask)


def export_items(
    items: Iterable[ExportItem],
    path: Path,
    fmt: str,
    *,
    file_password: str | None = None,
    progress: Progress | None = None,
) -> int:
    """Write ``items`` to ``path`` as ``fmt``; returns how many items (not types) it holds."""
    with bulk():
        return _export(list(items), path, fmt, file_password, progress)


def _export(
    listed: list[ExportItem], path: Path, fmt: str, file_password: str | None, progress: Progress | None
) -> int:
    if fmt not in FORMATS:
        raise ExportError(f"unknown export format {fmt!r}; the formats are: {', '.join(FORMATS)}")
    if fmt == "kdbx":
        if not file_password:
            raise ExportError("a KeePass database needs a password of its own")

        def write_kdbx(tmp: Path) -> None:
            tmp.unlink()  # pykeepass creates the file itself; the 0600 mode is set again after
            _kdbx(listed, tmp, file_password, progress)

        write_private(path, write_kdbx)
    else:
        data = render(listed, fmt)
        if progress is not None:
            progress(len(listed), len(listed))

        def write_bytes(tmp: Path) -> None:
            tmp.write_bytes(data)

        write_private(path, write_bytes)
    return sum(1 for it in listed if it.data.get("type") != TEMPLATE_ITEM_TYPE)
