"""Search over decrypted items: titles, tags, notes and the values meant to be seen.

A hidden value (a template field of kind hidden or totp, a custom field of kind hidden or
totp, a stored field the template lacks whose name says password) is never compared: a match
would reveal, one query at a time, what a card number or PIN starts with, to anyone glancing
at the screen or reading a shell history. Password history is never searched either.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Final

from .templates import TEMPLATES, Template, looks_like_password

#: Kinds whose values are secret; the same ones the CLI masks.
SECRET_KINDS: Final = frozenset({"hidden", "totp"})
VISIBLE_CUSTOM_KINDS: Final = frozenset({"text", "url", "date"})
_BUILTIN: Final[Mapping[str, Template]] = {t.key: t for t in TEMPLATES}


def searchable_values(data: Mapping[str, Any], template: Template | None) -> Iterator[str]:
    """The item's texts a search may look at, from its JSON (no full validation: search must
    stay fast on a large vault and must not fail on one odd item). ``template`` is the item's
    type if known; without it every stored field is judged by its name alone."""
    yield str(data.get("title", ""))
    yield str(data.get("notes", ""))
    tags = data.get("tags", [])
    if isinstance(tags, list):
        yield from (str(t) for t in tags)
    kinds = {spec.key: spec.kind for spec in template.fields} if template else {}
    fields = data.get("fields", {})
    if isinstance(fields, Mapping):
        for key, value in fields.items():
            kind = kinds.get(str(key))
            secret = kind in SECRET_KINDS if kind else looks_like_password(str(key))
            if not secret:
                yield str(value)
    custom = data.get("custom", [])
    if isinstance(custom, list):
        for entry in custom:
            # Only kinds known to be visible: an entry with a missing or unknown kind is skipped.
            if isinstance(entry, Mapping) and entry.get("kind") in VISIBLE_CUSTOM_KINDS:
                yield str(entry.get("value", ""))


def item_matches(
    data: Mapping[str, Any], needle: str, templates: Mapping[str, Template] | None = None
) -> bool:
    """Whether ``needle`` (compared case-insensitively) occurs in a searchable text of the item.

    ``templates`` maps type keys to templates (built-in and user-defined); a type missing from
    it is looked up among the built-ins."""
    folded = needle.casefold()
    if not folded:
        return True
    return any(folded in text.casefold() for text in searchable_values(data, _template(data, templates)))


def _template(data: Mapping[str, Any], templates: Mapping[str, Template] | None) -> Template | None:
    type_key = str(data.get("type", ""))
    if templates and type_key in templates:
        return templates[type_key]
    # None for a type not known here (a user-defined one not synced yet): names decide then.
    return _BUILTIN.get(type_key)
