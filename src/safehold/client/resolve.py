"""Resolving ``safehold://ITEM/FIELD`` references (items.references) against an unlocked vault.

A field's value is what ``get ITEM --field FIELD`` prints: a one-time-password field gives
its current code. Every reference is looked up before the caller uses any of them, and a
failing one raises naming the reference, so nothing runs or is written half resolved.
"""

from __future__ import annotations

from .errors import ItemNotFound
from .items import Item, ItemError, totp_code
from .items.lookup import field_info
from .items.references import Reference, resolve_all
from .vault import Vault


def resolve_references(vault: Vault, refs: list[Reference]) -> dict[Reference, str]:
    """Each distinct reference's value. Raises :class:`ItemNotFound` (naming the reference)
    for an item or field that does not exist or is ambiguous."""
    templates = vault.custom_templates() if refs else []

    def lookup(ref: Reference) -> str:
        try:
            stored = vault.find(ref.item)
            item = Item.from_json(stored.data, custom_templates=templates)
            info = field_info(item, ref.field)
        except ItemNotFound as exc:
            raise ItemNotFound(f"{ref}: {exc.message}", hint=exc.hint) from None
        except ItemError as exc:
            raise ItemNotFound(f"{ref}: {exc}") from None
        if info.kind == "totp" and info.value:
            return totp_code(info.value).code
        return info.value

    return resolve_all(refs, lookup)
