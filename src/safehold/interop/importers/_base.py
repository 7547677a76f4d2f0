"""What every importer produces, and the builder that turns a source record into an item.

The builder is where "nothing is dropped" is kept: a value with no place in the item's type
becomes a custom field (hidden when its name says it is a secret), and the builder notes
it so the summary can say so. Values are checked as the item model checks them (a TOTP
secret that does not parse becomes a hidden field instead of failing the item).
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from safehold.client.items import CUSTOM_KINDS, TEMPLATES, InvalidItem, InvalidOtp, ItemError
from safehold.client.items import normalize_name as _normalize_name
from safehold.client.items.totp import parse_totp

#: normalize_name, remembered: a bulk import asks for the same few names thousands of times.
normalize_name = functools.lru_cache(maxsize=4096)(_normalize_name)

#: Longest value kept; a longer one is skipped with its reason (the vault's envelope limit
#: would refuse the whole item otherwise).
MAX_VALUE_CHARS = 100_000


class ImportFailure(Exception):
    """The file as a whole cannot be imported; the message says why."""


class UnknownFormat(ImportFailure):
    pass


class CorruptFile(ImportFailure):
    """Truncated, not the format it claims, or malformed; the message names the line or item."""


class WrongFilePassword(ImportFailure):
    pass


@dataclass(frozen=True, slots=True)
class Skipped:
    source: str  #: "line 12", "item 3 'GitHub'", …
    reason: str


@dataclass(frozen=True, slots=True)
class ImportedItem:
    source_id: str
    item: dict[str, Any]
    #: Values that had no place in the type and became custom fields.
    moved_to_custom: tuple[str, ...] = ()


@dataclass
class ImportRead:
    format: str
    items: list[ImportedItem] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def utc_text(at: datetime | None = None) -> str:
    return (at or datetime.now(UTC)).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def from_unix(seconds: float) -> str | None:
    try:
        return utc_text(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


#: A time already in items.md §5's form (with or without a fraction): kept as it is, up to
#: the second, without a round trip through datetime (a bulk import reads thousands).
_PLAIN_UTC = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z")


def from_iso(text: object) -> str | None:
    if not isinstance(text, str) or not text.strip():
        return None
    if _PLAIN_UTC.fullmatch(text) and _valid_date(text):
        return text[:19] + "Z"
    try:
        at = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return utc_text(at)


def _valid_date(text: str) -> bool:
    try:
        datetime.fromisoformat(text[:19])  # C-fast; refuses 2023-02-30 and hour 25
    except ValueError:
        return False
    return True


def fingerprint(*parts: str) -> str:
    """A stable id for sources without one: the same record gives the same id next time."""
    return hashlib.sha256(json.dumps(parts, ensure_ascii=False).encode()).hexdigest()[:32]


_SECRET_WORDS = ("password", "passphrase", "passcode", "pin", "secret", "cvv", "code", "key", "token")


#: Names that contain a secret word but name no secret.
_PLAIN_NAMES = ("postalcode", "zipcode", "zip", "publickey", "countrycode", "areacode", "sortcode",
                "keyfingerprint", "fingerprint")  # fmt: skip


def looks_secret(name: str) -> bool:
    folded = normalize_name(name)
    if any(plain in folded for plain in _PLAIN_NAMES):
        return False
    return any(word in folded for word in _SECRET_WORDS)


class ItemBuilder:
    """One item under construction. ``set`` puts a value in the type's field when the type
    has one of that key, else in a custom field, never dropping it."""

    def __init__(self, type_key: str, title: str, *, source_format: str, source_id: str) -> None:
        template = next((t for t in TEMPLATES if t.key == type_key), None)
        self.template = template
        self.type = type_key if template is not None else "secure_note"
        self.keys = {spec.key: spec.kind for spec in template.fields} if template else {}
        now = _now_text()
        self.data: dict[str, Any] = {
            "v": 1, "type": self.type, "title": title.strip() or "(untitled)", "fields": {}, "custom": [],
            "tags": [], "favorite": False, "notes": "", "created": now, "modified": now, "history": [],
            "import_source": {"format": source_format, "id": source_id},
        }  # fmt: skip
        self.moved: list[str] = []
        self.problems: list[str] = []
        #: Normalised names in use, made on the first custom field (most items have none).
        self._taken: set[str] | None = None

    def _check(self, name: str, value: str) -> str | None:
        if len(value) > MAX_VALUE_CHARS:
            self.problems.append(f"{name!r} is longer than {MAX_VALUE_CHARS} characters; left out")
            return None
        return value

    def set(self, key: str, value: object) -> None:
        """A value for the type's field ``key`` (or a custom field of that name)."""
        if not isinstance(value, str) or not value.strip():
            return
        text = self._check(key, value)
        if text is None:
            return
        kind = self.keys.get(key)
        if kind is None:
            self.custom(key.replace("_", " ").capitalize(), text)
            return
        if kind == "totp" and not _totp_ok(text):
            self.custom("One-time password secret", text, "hidden")
            return
        if key in self.data["fields"] and self.data["fields"][key] != text:
            self.custom(key.replace("_", " ").capitalize(), text)
            return
        self.data["fields"][key] = text

    def labelled(self, label: str, value: object, kind: str | None = None) -> None:
        """A value the source names by its label: the type's field of that label, key or
        alias when there is one and it is still empty, else a custom field of that name."""
        spec = self.template.field(label) if self.template is not None and normalize_name(label) else None
        if spec is not None and spec.key not in self.data["fields"]:
            self.set(spec.key, value)
        else:
            self.custom(label, value, kind)

    def custom(self, name: str, value: object, kind: str | None = None) -> None:
        if not isinstance(value, str) or value == "":
            return
        text = self._check(name, value)
        if text is None:
            return
        name = (name or "Field").strip() or "Field"
        if not normalize_name(name):
            name = f"Field {name}"
        kind = kind if kind in CUSTOM_KINDS else ("hidden" if looks_secret(name) else "text")
        if kind == "totp" and not _totp_ok(text):
            kind = "hidden"
        if self._taken is None:
            self._taken = set(_taken_names(self.type))
        base, n = name, 2
        while normalize_name(name) in self._taken:
            name, n = f"{base} {n}", n + 1
        self._taken.add(normalize_name(name))
        self.data["custom"].append({"name": name, "kind": kind, "value": text})
        self.moved.append(name)

    def note(self, text: object) -> None:
        if isinstance(text, str) and text.strip():
            checked = self._check("notes", text)
            if checked is not None:
                self.data["notes"] = (
                    (self.data["notes"] + "\n" + checked).strip("\n") if self.data["notes"] else checked
                )

    def tag(self, *tags: object) -> None:
        for tag in tags:
            if isinstance(tag, str) and tag.strip() and tag.strip() not in self.data["tags"]:
                self.data["tags"].append(tag.strip())

    def times(self, created: str | None, modified: str | None) -> None:
        if created:
            self.data["created"] = created
        if modified:
            self.data["modified"] = modified
        elif created:
            self.data["modified"] = created

    def history(self, value: object, changed: str | None, field: str = "password") -> None:
        if isinstance(value, str) and value:
            self.data["history"].append({"field": field, "value": value, "changed": changed or utc_text()})

    def build(self) -> ImportedItem:
        """The item; one that could not be sealed raises :class:`ItemError`.

        The builder's methods give every key its type (text values, custom kinds, §5 times),
        so what is left to check is what they cannot see: text that is not valid Unicode (a
        lone surrogate from a ``\\ud800`` JSON escape) and values an importer set directly.
        The tests read every imported item through ``Item.from_json``; running it here too
        was a quarter of a bulk import's time."""
        data = self.data
        if not isinstance(data["title"], str) or not isinstance(data["favorite"], bool):
            raise InvalidItem("the item's title or favourite mark is malformed")
        if not _all_text_encodes(data):
            raise InvalidItem("the item holds text that is not valid Unicode")
        source = self.data["import_source"]
        return ImportedItem(str(source["id"]), self.data, tuple(self.moved))


def _all_text_encodes(value: Any) -> bool:
    """Whether every string in ``value`` has a UTF-8 form (a lone surrogate has none, and
    sealing would fail on it). ASCII, the common case, is checked in C."""
    stack = [value]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            if not current.isascii():
                try:
                    current.encode("utf-8")
                except UnicodeEncodeError:
                    return False
        elif isinstance(current, dict):
            stack.extend(current.keys())
            stack.extend(current.values())
        elif isinstance(current, list):
            stack.extend(current)
    return True


_NOW: list[tuple[int, str]] = []


def _now_text() -> str:
    """``utc_text()``, computed once a second: an import stamps thousands of items."""
    second = int(time.time())
    if not _NOW or _NOW[0][0] != second:
        _NOW[:] = [(second, utc_text())]
    return _NOW[0][1]


@functools.cache
def _taken_names(type_key: str) -> frozenset[str]:
    """The normalised names a custom field of ``type_key`` may not take."""
    template = next((t for t in TEMPLATES if t.key == type_key), None)
    keys = [spec.key for spec in template.fields] if template else []
    return frozenset({normalize_name(k) for k in keys} | {"title", "notes"})


def _totp_ok(text: str) -> bool:
    try:
        parse_totp(text)
    except (InvalidOtp, ItemError, ValueError):
        return False
    return True
