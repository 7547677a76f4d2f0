"""Secret references: ``safehold://ITEM/FIELD``, for `safehold run` and `safehold inject`.

``ITEM`` is an item id or an unambiguous title (as every command takes it); ``FIELD`` a
field name as ``get --field`` takes it. The last ``/`` separates the two, so a title may
hold slashes; ``%XX`` escapes are decoded in both parts (``%2F`` for a slash in a field
name, ``%7D`` for a brace). A template marks a reference as ``{{ safehold://ITEM/FIELD }}``
(spaces inside the braces optional).

Every reference is resolved before anything is run or written, so a typo is an error with
nothing half done.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import unquote

from .errors import ItemError

SCHEME = "safehold://"
#: A reference inside a template: ``{{ safehold://ITEM/FIELD }}``.
TEMPLATE_REF = re.compile(r"\{\{\s*(safehold://[^}]*?)\s*\}\}")


class InvalidReference(ItemError):
    """Text that is not a ``safehold://ITEM/FIELD`` reference."""


@dataclass(frozen=True, slots=True)
class Reference:
    item: str
    field: str

    def __str__(self) -> str:
        return f"{SCHEME}{self.item}/{self.field}"


def parse_reference(text: str) -> Reference:
    if not text.startswith(SCHEME):
        raise InvalidReference(f"{text!r} is not a secret reference: they look like safehold://ITEM/FIELD")
    rest = text[len(SCHEME) :]
    item, sep, field = rest.rpartition("/")
    item, field = unquote(item).strip(), unquote(field).strip()
    if not sep or not item or not field:
        raise InvalidReference(f"{text!r} names no item and field: write safehold://ITEM/FIELD")
    return Reference(item, field)


def template_references(template: str) -> list[Reference]:
    """Every reference in ``template``, in order (repeats kept)."""
    return [parse_reference(m.group(1)) for m in TEMPLATE_REF.finditer(template)]


def render_template(template: str, values: dict[Reference, str]) -> str:
    """``template`` with each reference replaced by its value from ``values``."""
    return TEMPLATE_REF.sub(lambda m: values[parse_reference(m.group(1))], template)


def resolve_all(refs: list[Reference], lookup: Callable[[Reference], str]) -> dict[Reference, str]:
    """Each distinct reference's value; the first failing lookup's error propagates."""
    out: dict[Reference, str] = {}
    for ref in refs:
        if ref not in out:
            out[ref] = lookup(ref)
    return out
