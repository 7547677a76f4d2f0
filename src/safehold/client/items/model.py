"""An item: the plaintext JSON that the client seals with the vault key (spec §6).

Version 1 of the shape::

    {"v": 1, "type": "login", "title": "…",
     "fields": {"<template field key>": "value", …},
     "custom": [{"name": "…", "kind": "text|hidden|url|date|totp", "value": "…"}],
     "tags": […], "favorite": false, "notes": "…",
     "created": "2024-05-01T12:00:00Z", "modified": "…",
     "history": [{"field": "password", "value": "old", "changed": "…"}]}

Reading is strict about types (anything malformed raises :class:`InvalidItem`, never another
exception) and lenient about what it does not know: field keys a template lacks and extra
top-level keys are kept and written back unchanged, so an older client never drops what a
newer one stored. Times are aware UTC datetimes, written as ISO 8601 with ``Z``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Final, Literal, NamedTuple, cast, get_args

from .errors import FieldNotFound, InvalidField, InvalidItem, ItemError, UnknownField
from .templates import FieldKind, FieldSpec, Template, find_template, looks_like_password, normalize_name
from .totp import parse_totp

ITEM_VERSION: Final = 1
CustomKind = Literal["text", "hidden", "url", "date", "totp"]
CUSTOM_KINDS: Final[tuple[str, ...]] = get_args(CustomKind)
_KNOWN_KEYS: Final = frozenset(
    {"v", "type", "title", "fields", "custom", "tags", "favorite", "notes", "created", "modified", "history"}
)
# Names that address the item itself rather than a field, so `--field notes=…` does what it says.
_TITLE: Final = "title"
_NOTES: Final = "notes"


@dataclass(slots=True)
class CustomField:
    name: str
    kind: CustomKind
    value: str


@dataclass(frozen=True, slots=True)
class HistoryEntry:
    """An earlier value of ``field`` (a template key or custom field name), replaced at ``changed``."""

    field: str
    value: str
    changed: datetime


class DisplayField(NamedTuple):
    label: str
    value: str
    kind: FieldKind


class SecretField(NamedTuple):
    """A hidden field with a value. ``key`` is the template key or the custom field's name."""

    key: str
    label: str
    value: str
    is_password: bool


@dataclass(slots=True)
class Item:
    """A record in the vault. Mutable; every setter takes ``now`` and bumps ``modified``.

    ``template`` describes the fields; it is not stored in the JSON (only ``type`` is) and is
    ignored by ``==``.
    """

    type: str
    title: str
    created: datetime
    modified: datetime
    fields: dict[str, str] = field(default_factory=dict)
    custom: list[CustomField] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    favorite: bool = False
    notes: str = ""
    history: list[HistoryEntry] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    template: Template = field(default_factory=lambda: Template("", "", ()), compare=False, repr=False)

    # ----- construction and JSON ---------------------------------------------------------

    @classmethod
    def new(
        cls, type_key: str, title: str, now: datetime, *, custom_templates: Iterable[Template] = ()
    ) -> Item:
        """A new, empty item of a built-in or user-defined type (any spelling of its name)."""
        template = find_template(type_key, custom_templates)
        at = _aware(now)
        return cls(type=template.key, title=_text(title, "title"), created=at, modified=at, template=template)

    @classmethod
    def from_json(cls, data: object, *, custom_templates: Iterable[Template] = ()) -> Item:
        """Validate and read an item. An unknown type is not an error (its template may not have
        synced yet): the item is then shown with its stored fields as plain ones."""
        if not isinstance(data, Mapping):
            raise InvalidItem("an item must be a JSON object")
        version = data.get("v")
        if type(version) is not int or version != ITEM_VERSION:
            raise InvalidItem(f"item version {version!r} is not supported (this Safehold reads version 1)")
        type_key = _req_str(data, "type")
        if not type_key:
            raise InvalidItem("an item's 'type' cannot be empty")
        fields = _opt(data, "fields", dict, {})
        for key, value in fields.items():
            if not isinstance(key, str) or not _encodable(key):
                raise InvalidItem("an item's field names must be text")
            if not isinstance(value, str) or not _encodable(value):
                raise InvalidItem(f"field {key!r} must have a text value")
        try:
            template = find_template(type_key, custom_templates)
        except ItemError:
            template = _fallback_template(type_key, fields)
        extra = {k: v for k, v in data.items() if k not in _KNOWN_KEYS}
        return cls(
            type=type_key,
            title=_req_str(data, "title"),
            created=_time(data.get("created"), "created"),
            modified=_time(data.get("modified"), "modified"),
            fields=dict(fields),
            custom=[_custom_from_json(raw, i) for i, raw in enumerate(_opt(data, "custom", list, []))],
            tags=[_tag(raw) for raw in _opt(data, "tags", list, [])],
            favorite=_opt(data, "favorite", bool, False),
            notes=_opt(data, "notes", str, ""),
            history=[_history_from_json(raw, i) for i, raw in enumerate(_opt(data, "history", list, []))],
            extra={str(k): v for k, v in extra.items()},
            template=template,
        )

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out.update(
            {
                "v": ITEM_VERSION,
                "type": self.type,
                "title": self.title,
                "fields": dict(self.fields),
                "custom": [{"name": c.name, "kind": c.kind, "value": c.value} for c in self.custom],
                "tags": list(self.tags),
                "favorite": self.favorite,
                "notes": self.notes,
                "created": format_time(self.created),
                "modified": format_time(self.modified),
                "history": [
                    {"field": h.field, "value": h.value, "changed": format_time(h.changed)}
                    for h in self.history
                ],
            }
        )
        return out

    # ----- fields ------------------------------------------------------------------------

    def set_field(self, name: str, value: str, now: datetime, *, strict: bool = False) -> None:
        """Set a field by template key, label or alias, or by custom field name. "title" and
        "notes" address the item's own title and notes. An empty value clears the field.
        Replacing a hidden field's value keeps the old one in :attr:`history`.

        An unknown name adds a custom field (hidden if the name says password, text otherwise),
        unless ``strict``: then it raises :class:`UnknownField` listing the names there are, so
        a typo never turns into a stray field (the CLI is strict; use :meth:`set_custom`)."""
        value = _text(value, "value")
        wanted = normalize_name(name)
        if not wanted:
            raise InvalidField(f"{name!r} cannot be a field name")
        spec = self.template.field(name, aliases=False)
        if spec is not None:
            self._set_keyed(spec.key, spec.kind, value, now)
        elif (key := self._stray_key(name)) is not None:
            self._set_keyed(key, "hidden" if looks_like_password(key) else "text", value, now)
        elif (custom := self._custom(name)) is not None:
            self._set_custom(custom, value, now)
        elif (spec := self.template.field(name)) is not None:
            self._set_keyed(spec.key, spec.kind, value, now)
        elif wanted == _TITLE:
            self.set_title(value, now)
        elif wanted == _NOTES:
            self.set_notes(value, now)
        elif strict:
            raise UnknownField(name, self.template.label or self.type, self.field_names())
        elif value:
            self.add_custom(name, "hidden" if looks_like_password(name) else "text", value, now)

    def set_custom(self, name: str, kind: str | None, value: str, now: datetime) -> None:
        """Create or change the custom field ``name``: ``kind`` (default text) for a new one;
        given for an existing one, it changes its kind. An empty value removes the field (a
        hidden value goes to history). A template field's name is refused: use :meth:`set_field`."""
        if kind is not None and kind not in CUSTOM_KINDS:
            raise InvalidField(f"a custom field's kind is one of {', '.join(CUSTOM_KINDS)}, not {kind!r}")
        custom = self._custom(name)
        if custom is None:
            if value:
                self.add_custom(name, kind or "text", value, now)
            return
        if not _text(value, "value"):
            self.remove_custom(name, now)
            return
        if kind is not None and kind != custom.kind:
            if kind == "totp":
                parse_totp(value)
            if custom.kind == "hidden" and custom.value and custom.value != value:
                self.history.append(HistoryEntry(custom.name, custom.value, _aware(now)))
            custom.kind = cast(CustomKind, kind)
            custom.value = value
            self._touch(now)
            return
        self._set_custom(custom, value, now)

    def add_custom(self, name: str, kind: str, value: str, now: datetime) -> None:
        name = _text(name, "field name").strip()
        if not normalize_name(name):
            raise InvalidField(f"{name!r} cannot be a field name: it has no letters or digits")
        if kind not in CUSTOM_KINDS:
            raise InvalidField(f"a custom field's kind is one of {', '.join(CUSTOM_KINDS)}, not {kind!r}")
        if self.template.field(name, aliases=False) or self._stray_key(name) or self._custom(name):
            raise InvalidField(f"this item already has a field called {name!r}")
        if normalize_name(name) in (_TITLE, _NOTES):
            raise InvalidField(f"{name!r} is reserved for the item's own {normalize_name(name)}")
        value = _text(value, "value")
        if kind == "totp" and value:
            parse_totp(value)
        self.custom.append(CustomField(name=name, kind=cast(CustomKind, kind), value=value))
        self._touch(now)

    def remove_custom(self, name: str, now: datetime) -> None:
        custom = self._custom(name)
        if custom is None:
            raise FieldNotFound(name, [c.name for c in self.custom])
        if custom.kind == "hidden" and custom.value:
            self.history.append(HistoryEntry(custom.name, custom.value, _aware(now)))
        self.custom.remove(custom)
        self._touch(now)

    def get_field(self, name: str) -> str:
        """The value of a field (empty if a template field is not filled in), or of "title"/"notes".

        Names resolve in this order: template key or label, stored key the template lacks,
        custom field name, template field alias."""
        spec = self.template.field(name, aliases=False)
        if spec is not None:
            return self.fields.get(spec.key, "")
        if (key := self._stray_key(name)) is not None:
            return self.fields[key]
        if (custom := self._custom(name)) is not None:
            return custom.value
        # Aliases come after the item's own names: an item saved before an alias existed may
        # have a custom field of that name ("number" on a card), and it must stay reachable.
        if (spec := self.template.field(name)) is not None:
            return self.fields.get(spec.key, "")
        if normalize_name(name) == _TITLE:
            return self.title
        if normalize_name(name) == _NOTES:
            return self.notes
        raise FieldNotFound(name, self.field_names())

    def field_names(self) -> list[str]:
        """Every name :meth:`get_field` accepts, template labels first."""
        names = [spec.label for spec in self.template.fields]
        names += self._stray_keys()
        names += [c.name for c in self.custom]
        return [*names, "title", "notes"]

    def display_fields(self) -> list[DisplayField]:
        """The fields that have a value: template order, then fields the template lacks, then custom."""
        out = [
            DisplayField(spec.label, self.fields[spec.key], spec.kind)
            for spec in self.template.fields
            if self.fields.get(spec.key)
        ]
        for key in self._stray_keys():
            if value := self.fields[key]:
                out.append(DisplayField(key, value, "hidden" if looks_like_password(key) else "text"))
        out += [DisplayField(c.name, c.value, c.kind) for c in self.custom if c.value]
        return out

    def secret_fields(self) -> list[SecretField]:
        """Hidden fields with a value; ``is_password`` marks those the security report judges."""
        out = [
            SecretField(spec.key, spec.label, self.fields[spec.key], spec.is_password)
            for spec in self.template.fields
            if spec.kind == "hidden" and self.fields.get(spec.key)
        ]
        out += [
            SecretField(key, key, self.fields[key], True)
            for key in self._stray_keys()
            if self.fields[key] and looks_like_password(key)
        ]
        out += [
            SecretField(c.name, c.name, c.value, looks_like_password(c.name))
            for c in self.custom
            if c.kind == "hidden" and c.value
        ]
        return out

    def otp_secret(self) -> str | None:
        """The first TOTP field's value (secret or otpauth:// URI), if the item has one."""
        for shown in self.display_fields():
            if shown.kind == "totp":
                return shown.value
        return None

    def last_changed(self, key: str) -> datetime:
        """When the field's current value was set: its latest history entry, else creation.

        Creation is the conservative fallback: a report should call a password old rather than
        miss one, and ``modified`` moves with every unrelated edit."""
        changes = [h.changed for h in self.history if h.field == key]
        return max(changes, default=self.created)

    # ----- the rest of the item ----------------------------------------------------------

    def set_title(self, title: str, now: datetime) -> None:
        self.title = _text(title, "title")
        self._touch(now)

    def set_notes(self, notes: str, now: datetime) -> None:
        self.notes = _text(notes, "notes")
        self._touch(now)

    def set_favorite(self, favorite: bool, now: datetime) -> None:
        self.favorite = bool(favorite)
        self._touch(now)

    def set_tags(self, tags: Iterable[str], now: datetime) -> None:
        """Replace the tags; blanks and repeats (ignoring case) are dropped, order is kept."""
        seen: set[str] = set()
        cleaned: list[str] = []
        for raw in tags:
            tag = _text(raw, "tag").strip()
            if tag and tag.casefold() not in seen:
                seen.add(tag.casefold())
                cleaned.append(tag)
        self.tags = cleaned
        self._touch(now)

    def add_tag(self, tag: str, now: datetime) -> None:
        self.set_tags([*self.tags, tag], now)

    def remove_tag(self, tag: str, now: datetime) -> None:
        self.set_tags([t for t in self.tags if t.casefold() != tag.strip().casefold()], now)

    # ----- internals ---------------------------------------------------------------------

    def _stray_keys(self) -> list[str]:
        """Stored field keys the template does not define (from a newer client or another type)."""
        known = {spec.key for spec in self.template.fields}
        return [k for k in self.fields if k not in known]

    def _stray_key(self, name: str) -> str | None:
        wanted = normalize_name(name)
        return next((k for k in self._stray_keys() if normalize_name(k) == wanted), None)

    def _custom(self, name: str) -> CustomField | None:
        wanted = normalize_name(name)
        return next((c for c in self.custom if normalize_name(c.name) == wanted), None)

    def _set_keyed(self, key: str, kind: str, value: str, now: datetime) -> None:
        if kind == "totp" and value:
            parse_totp(value)
        old = self.fields.get(key, "")
        if old == value:
            return
        if kind == "hidden" and old:
            self.history.append(HistoryEntry(key, old, _aware(now)))
        if value:
            self.fields[key] = value
        else:
            self.fields.pop(key, None)
        self._touch(now)

    def _set_custom(self, custom: CustomField, value: str, now: datetime) -> None:
        if custom.kind == "totp" and value:
            parse_totp(value)
        if custom.value == value:
            return
        if custom.kind == "hidden" and custom.value:
            self.history.append(HistoryEntry(custom.name, custom.value, _aware(now)))
        custom.value = value
        self._touch(now)

    def _touch(self, now: datetime) -> None:
        self.modified = _aware(now)


# ----- helpers ---------------------------------------------------------------------------


def format_time(at: datetime) -> str:
    """ISO 8601 in UTC with a ``Z``; microseconds only when present, so reading gives back ``at``."""
    utc = at.astimezone(UTC)
    spec = "microseconds" if utc.microsecond else "seconds"
    return utc.replace(tzinfo=None).isoformat(timespec=spec) + "Z"


def parse_time(text: str) -> datetime:
    try:
        at = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidItem(f"{text!r} is not an ISO 8601 time") from None
    if at.tzinfo is None or at.utcoffset() is None:
        raise InvalidItem(f"the time {text!r} has no timezone (times are stored in UTC)")
    return at.astimezone(UTC)


def _aware(now: datetime) -> datetime:
    if not isinstance(now, datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise ItemError("item times must be timezone-aware datetimes, e.g. datetime.now(UTC)")
    return now.astimezone(UTC)


def _encodable(text: str) -> bool:
    # A lone surrogate (from a JSON "\ud800" escape or undecodable argv bytes) would make the
    # canonical UTF-8 encoding fail at sealing time; refuse it where the value comes in.
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _text(value: object, what: str) -> str:
    if not isinstance(value, str):
        raise InvalidField(f"the {what} must be text, not {type(value).__name__}")
    if not _encodable(value):
        raise InvalidField(f"the {what} contains characters that are not valid Unicode text")
    return value


def _req_str(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not _encodable(value):
        raise InvalidItem(f"an item's {key!r} must be text")
    return value


def _opt(data: Mapping[str, Any], key: str, kind: type[Any], default: Any) -> Any:
    value = data.get(key, default)
    if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise InvalidItem(f"an item's {key!r} must be a {_JSON_NAMES[kind]}")
    if kind is str and not _encodable(value):
        raise InvalidItem(f"an item's {key!r} contains characters that are not valid Unicode text")
    return value


_JSON_NAMES: Final[dict[type[Any], str]] = {dict: "object", list: "list", bool: "boolean", str: "string"}


def _time(value: object, what: str) -> datetime:
    if not isinstance(value, str):
        raise InvalidItem(f"an item's {what!r} must be an ISO 8601 time")
    return parse_time(value)


def _tag(raw: object) -> str:
    if not isinstance(raw, str) or not _encodable(raw):
        raise InvalidItem("every tag must be text")
    return raw


def _custom_from_json(raw: object, index: int) -> CustomField:
    if not isinstance(raw, Mapping):
        raise InvalidItem(f"custom field {index} must be an object")
    name, kind, value = raw.get("name"), raw.get("kind"), raw.get("value")
    if not isinstance(name, str) or not name or not _encodable(name):
        raise InvalidItem(f"custom field {index} needs a 'name'")
    if kind not in CUSTOM_KINDS:
        raise InvalidItem(f"custom field {name!r} has kind {kind!r}; the kinds are {', '.join(CUSTOM_KINDS)}")
    if not isinstance(value, str) or not _encodable(value):
        raise InvalidItem(f"custom field {name!r} must have a text value")
    return CustomField(name=name, kind=cast(CustomKind, kind), value=value)


def _history_from_json(raw: object, index: int) -> HistoryEntry:
    if not isinstance(raw, Mapping):
        raise InvalidItem(f"history entry {index} must be an object")
    name, value = raw.get("field"), raw.get("value")
    if not isinstance(name, str) or not _encodable(name):
        raise InvalidItem(f"history entry {index} needs a 'field'")
    if not isinstance(value, str) or not _encodable(value):
        raise InvalidItem(f"history entry {index} must have a text value")
    return HistoryEntry(field=name, value=value, changed=_time(raw.get("changed"), "changed"))


def _fallback_template(type_key: str, fields: Mapping[str, str]) -> Template:
    # Field labels are the stored keys: the best that can be shown without the real template.
    specs: list[FieldSpec] = [
        FieldSpec(key, key, "hidden" if looks_like_password(key) else "text") for key in fields
    ]
    return Template(type_key, type_key, tuple(specs))
