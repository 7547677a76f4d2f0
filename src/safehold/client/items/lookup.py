"""What a field name on an item refers to: its label and kind, for the rules that depend on
the kind (a TOTP field prints its current code; hidden fields are masked; `--copy` names the
field by the label a person sees)."""

from __future__ import annotations

from typing import NamedTuple

from .errors import FieldNotFound
from .model import Item
from .search import SECRET_KINDS
from .templates import looks_like_password, normalize_name


class FieldInfo(NamedTuple):
    label: str
    kind: str
    value: str


def field_info(item: Item, name: str) -> FieldInfo:
    """The field ``name`` resolves to, the way :meth:`Item.get_field` resolves it.

    Raises :class:`FieldNotFound` when the item has no such field."""
    value = item.get_field(name)
    wanted = normalize_name(name)
    # The order of Item.get_field: template key or label, stored key, custom name, alias.
    spec = item.template.field(name, aliases=False)
    if spec is not None:
        return FieldInfo(spec.label, spec.kind, value)
    for key in item.fields:
        if normalize_name(key) == wanted:
            return FieldInfo(key, "hidden" if looks_like_password(key) else "text", value)
    for custom in item.custom:
        if normalize_name(custom.name) == wanted:
            return FieldInfo(custom.name, custom.kind, value)
    spec = item.template.field(name)
    if spec is not None:
        return FieldInfo(spec.label, spec.kind, value)
    if wanted in ("title", "notes"):
        return FieldInfo(wanted.capitalize(), "text", value)
    raise FieldNotFound(name, item.field_names())  # pragma: no cover - get_field raised first


def is_secret_field(item: Item, name: str) -> bool:
    """True when ``name`` (a field key, label or custom name) holds a secret on ``item``."""
    try:
        return field_info(item, name).kind in SECRET_KINDS
    except FieldNotFound:
        # A field that no longer exists (only in history): judge it by its name.
        return looks_like_password(name)


def password_field(item: Item) -> FieldInfo | None:
    """The item's password (the first hidden field the report judges as one), if it has one."""
    for secret in item.secret_fields():
        if secret.is_password:
            return FieldInfo(secret.label, "hidden", secret.value)
    return None
