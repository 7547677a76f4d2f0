"""KeePass: KeePassXC's CSV, KeePass 2's CSV, and KDBX databases through pykeepass.

KeePassXC CSV: ``Group,Title,Username,Password,URL,Notes,TOTP,Icon,Last Modified,Created``.
KeePass 2 CSV: ``Account,Login Name,Password,Web Site,Comments``. KDBX: every entry of every
group (the group path becomes a tag, the recycle bin is left out), custom attributes as
fields (protected ones hidden), history kept, TOTP from KeePassXC's ``otp`` attribute or
the two plugin spellings ``TOTP Seed``/``TOTP Settings`` and ``TimeOtp-Secret-Base32``, and
``{REF:…}`` references resolved to the values they point at.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from safehold.client.items import ItemError

from ._base import (
    CorruptFile,
    ImportRead,
    ItemBuilder,
    Skipped,
    WrongFilePassword,
    fingerprint,
    from_iso,
    utc_text,
)
from ._csv import decode, rows

_STANDARD = {"Title", "UserName", "Password", "URL", "Notes", "otp"}
_TOTP_SPELLINGS = ("otp", "TOTP Seed", "TimeOtp-Secret-Base32")


def read_keepassxc_csv(data: bytes) -> ImportRead:
    result = ImportRead("keepassxc-csv")
    _, body = rows(decode(data))
    for row in body:
        title, group = row.get("title"), row.get("group")
        builder = ItemBuilder("login", title, source_format="keepassxc-csv",
                              source_id=fingerprint(group, title, row.get("username")))  # fmt: skip
        builder.set("username", row.get("username"))
        builder.set("password", row.get("password"))
        builder.set("website", row.get("url"))
        builder.set("one_time_password", row.get("totp"))
        builder.note(row.get("notes"))
        builder.tag(*_group_tags(group))
        builder.times(from_iso(row.get("created")), from_iso(row.get("last modified")))
        _finish(result, builder, f"line {row.line}")
    return result


def read_keepass2_csv(data: bytes) -> ImportRead:
    result = ImportRead("keepass2-csv")
    _, body = rows(decode(data))
    for row in body:
        title = row.get("account")
        builder = ItemBuilder("login", title, source_format="keepass2-csv",
                              source_id=fingerprint(title, row.get("login name")))  # fmt: skip
        builder.set("username", row.get("login name"))
        builder.set("password", row.get("password"))
        builder.set("website", row.get("web site"))
        builder.note(row.get("comments"))
        _finish(result, builder, f"line {row.line}")
    return result


def _group_tags(path: str) -> list[str]:
    parts = [p for p in path.split("/") if p]
    if parts and parts[0] == "Root":
        parts = parts[1:]
    return ["/".join(parts)] if parts else []


def _finish(result: ImportRead, builder: ItemBuilder, where: str) -> None:
    try:
        result.items.append(builder.build())
    except ItemError as exc:
        result.skipped.append(Skipped(where, str(exc)))
    for problem in builder.problems:
        result.skipped.append(Skipped(where, problem))


def read_kdbx(path: Path, password: str | None, key_file: Path | None) -> ImportRead:
    from pykeepass import PyKeePass  # only this format needs it
    from pykeepass.exceptions import CredentialsError

    try:
        database = PyKeePass(str(path), password=password, keyfile=str(key_file) if key_file else None)
    except CredentialsError:
        raise WrongFilePassword("that is not the database's password (or key file)") from None
    except Exception as exc:  # pykeepass raises construct/lxml errors for damaged files
        raise CorruptFile(f"not a KeePass database, or a damaged one ({type(exc).__name__})") from None
    result = ImportRead("kdbx")
    recycle = database.recyclebin_group
    for index, entry in enumerate(database.entries, 1):
        if recycle is not None and any(g.uuid == recycle.uuid for g in _groups(entry)):
            continue
        where = f"entry {index} {entry.title or ''!r}"
        try:
            builder = _entry(database, entry)
        except Exception as exc:
            result.skipped.append(Skipped(where, f"could not be read ({type(exc).__name__})"))
            continue
        _finish(result, builder, where)
    return result


def _groups(entry: Any) -> list[Any]:
    out, group = [], entry.group
    while group is not None:
        out.append(group)
        group = group.parentgroup
    return out


def _deref(database: Any, value: Any) -> str:
    if not isinstance(value, str):
        return ""
    if "{REF:" in value:
        try:
            resolved = database.deref(value)
        except Exception:
            return value
        return resolved if isinstance(resolved, str) else value
    return value


#: What Safehold's own kdbx export adds (interop/export.py): the item's type and id.
_SAFEHOLD_TYPE, _SAFEHOLD_ID = "Safehold type", "Safehold id"


def _entry(database: Any, entry: Any) -> ItemBuilder:
    def get(value: Any) -> str:
        return _deref(database, value)

    strings = _strings(entry)
    custom = {k: v for k, (v, _) in strings.items() if k not in _RESERVED}
    # Safehold's own export marks every hidden value protected, so an unprotected one is
    # text whatever its name says ("Extra cvv"); a name is guessed from only in others' files.
    ours = _SAFEHOLD_TYPE in custom
    type_key = str(custom.pop(_SAFEHOLD_TYPE, None) or "login")
    source_id = str(custom.pop(_SAFEHOLD_ID, None) or entry.uuid)
    builder = ItemBuilder(type_key, get(entry.title), source_format="kdbx", source_id=source_id)
    own_strings = builder.type == "login"  # other types were written field by field, by label
    if own_strings:
        builder.set("username", get(entry.username))
        builder.set("password", get(entry.password))
        builder.set("website", get(entry.url))
    builder.note(get(entry.notes))
    otp = get(entry.otp) if entry.otp else ""
    if not otp:
        for spelling in _TOTP_SPELLINGS:
            if custom.get(spelling):
                otp = get(custom[spelling])
                break
    if own_strings:
        builder.set("one_time_password", otp)
    names: dict[str, str] = {"Password": "password"}  # KeePass string -> history field
    for name, value in custom.items():
        if name in _STANDARD or name in _TOTP_SPELLINGS or name in ("TOTP Settings",):
            continue
        protected = strings[name][1]
        fields_before, customs_before = set(builder.data["fields"]), len(builder.data["custom"])
        builder.labelled(name, get(value), "hidden" if protected else ("text" if ours else None))
        added = set(builder.data["fields"]) - fields_before
        if added:
            names[name] = added.pop()  # a field of the type: its history is under its key
        elif len(builder.data["custom"]) > customs_before:
            names[name] = builder.data["custom"][-1]["name"]
    if not own_strings:
        # KeePass's own strings of another type's entry are copies of its fields, except a
        # field whose label is KeePass's own name (a Wi-Fi password): read what is new.
        for key, value in (("Password", entry.password), ("UserName", entry.username), ("URL", entry.url)):
            text = get(value)
            if text and text not in builder.data["fields"].values():
                builder.labelled(key, text)
    builder.tag(*(entry.tags or []))
    path = [g.name for g in reversed(_groups(entry)) if g.name][1:]
    builder.tag("/".join(path) if path else None)
    created = utc_text(entry.ctime) if entry.ctime else None
    modified = utc_text(entry.mtime) if entry.mtime else None
    builder.times(created, modified)
    _history(builder, entry, names, get)
    return builder


#: KeePass's own strings (pykeepass reads them as attributes, not custom properties).
_RESERVED = frozenset({"Title", "UserName", "Password", "URL", "Notes"})


def _strings(entry: Any) -> dict[str, tuple[str, bool]]:
    """An entry's ``<String>`` elements by key: (value, protected). Read directly: pykeepass
    looks each name up with an XPath that a quote in the name breaks."""
    out: dict[str, tuple[str, bool]] = {}
    for string in entry._element.findall("String"):
        key, value = string.findtext("Key"), string.find("Value")
        if key is not None and value is not None:
            out[key] = (value.text or "", value.get("Protected") == "True")
    return out


def _history(builder: ItemBuilder, entry: Any, names: dict[str, str], get: Any) -> None:
    """Every value an earlier copy of the entry held that the entry no longer holds."""
    current = {k: v for k, (v, _) in _strings(entry).items()}
    seen: set[tuple[str, str]] = set()
    for old in entry.history or []:
        when = utc_text(old.mtime) if old.mtime else None
        earlier = {k: v for k, (v, _) in _strings(old).items()}
        for key, value in earlier.items():
            if key not in names or not value or value == current.get(key):
                continue
            field = names[key]
            if (field, value) not in seen:
                seen.add((field, value))
                builder.history(get(value), when, field)
