"""Vault items: record types, the item JSON, TOTP, the password generator and the security report.

Pure code: no I/O besides reading the bundled word list, no network, no clock (every function
that records a time takes ``now``, an aware datetime). API in brief::

    find_template(name, custom_templates=()) -> Template      # "login", "Credit Card", "credit-card"…
    TEMPLATES: tuple[Template, ...]                          # built-ins, mSecure's order
    Template(key, label, fields: tuple[FieldSpec, ...]); .field(name, aliases=True) -> FieldSpec | None
        .to_json() / Template.from_json(d)                   # user types, stored as items of type
        Template.custom(label, [(field label, kind), …])     #   TEMPLATE_ITEM_TYPE "__template__"
    FieldSpec(key, label, kind, aliases=()); kind in FIELD_KINDS; .is_password  # aliases: built-ins

    Item.new(type_key, title, now, *, custom_templates=()) -> Item
    Item.from_json(d, *, custom_templates=()) -> Item        # validates; raises ItemError subclasses
    item.to_json() -> dict                                   # seal canonical_json(item.to_json())
    item.set_field(name, value, now, strict=False)  # template key/label/alias, custom name,
                                         # "title", "notes"; else adds a custom field (strict:
                                         # raises UnknownField); old hidden values go to history
    item.set_custom(name, kind | None, value, now)  # create/change a custom field; "" removes
    item.add_custom(name, kind, value, now); item.remove_custom(name, now)
    item_matches(data, needle, templates) -> bool   # search, never hidden values
    item.get_field(name) -> str          # FieldNotFound lists item.field_names()
    item.display_fields() -> list[DisplayField(label, value, kind)]
    item.secret_fields() -> list[SecretField(key, label, value, is_password)]
    item.otp_secret() -> str | None; item.history: list[HistoryEntry(field, value, changed)]
    item.set_title / set_notes / set_favorite / set_tags / add_tag / remove_tag (..., now)

    totp_code(secret_or_uri, at=None) -> TotpCode(code, seconds_left, period)
    generate_password(length=20, lower=True, upper=True, digits=True, symbols=True,
                      exclude_lookalikes=False) -> Generated(value, entropy_bits)
    generate_passphrase(words=6, separator="-", capitalize=False, add_number=False) -> Generated
    security_report(items: Mapping[id, Item] | Iterable[(id, Item)], now, old_after_days=365)
        -> Report(checked, weak, reused, old); .to_json()

Exceptions (all from :mod:`.errors`)::

    ItemError
    ├── InvalidItem, UnknownType, InvalidTemplate, FieldNotFound, InvalidField (UnknownField)
    ├── InvalidOtp
    └── InvalidGeneratorOptions
"""

from .errors import (
    FieldNotFound,
    InvalidField,
    InvalidGeneratorOptions,
    InvalidItem,
    InvalidOtp,
    InvalidTemplate,
    ItemError,
    UnknownField,
    UnknownType,
)
from .generator import Generated, eff_wordlist, generate_passphrase, generate_password
from .model import CUSTOM_KINDS, CustomField, DisplayField, HistoryEntry, Item, SecretField
from .report import Location, OldPassword, Report, ReusedPassword, WeakPassword, security_report
from .search import item_matches, searchable_values
from .templates import (
    FIELD_KINDS,
    TEMPLATE_ITEM_TYPE,
    TEMPLATES,
    FieldSpec,
    Template,
    find_template,
    normalize_name,
)
from .totp import TotpCode, totp_code

__all__ = [
    "CUSTOM_KINDS",
    "FIELD_KINDS",
    "TEMPLATES",
    "TEMPLATE_ITEM_TYPE",
    "CustomField",
    "DisplayField",
    "FieldNotFound",
    "FieldSpec",
    "Generated",
    "HistoryEntry",
    "InvalidField",
    "InvalidGeneratorOptions",
    "InvalidItem",
    "InvalidOtp",
    "InvalidTemplate",
    "Item",
    "ItemError",
    "Location",
    "OldPassword",
    "Report",
    "ReusedPassword",
    "SecretField",
    "Template",
    "TotpCode",
    "UnknownField",
    "UnknownType",
    "WeakPassword",
    "eff_wordlist",
    "find_template",
    "generate_passphrase",
    "generate_password",
    "item_matches",
    "normalize_name",
    "searchable_values",
    "security_report",
    "totp_code",
]
