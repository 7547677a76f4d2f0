"""The items package's exceptions: one tree, each leaf a message a person can act on.

ItemError
├── InvalidItem       an item's JSON is not a valid version-1 item
├── UnknownType       no built-in or user-defined record type has that name
├── InvalidTemplate   a user-defined record type's JSON is malformed
├── FieldNotFound     the item has no field of that name (lists the names it has)
├── InvalidField      a field name, kind or value cannot be stored
│   └── UnknownField  a strict set names no field the item has (lists the names it has)
├── InvalidOtp        a one-time-password secret or otpauth:// URI cannot be used
└── InvalidGeneratorOptions   the password generator was asked for the impossible
"""

from __future__ import annotations

from collections.abc import Sequence


class ItemError(Exception):
    """Base class of every error raised by :mod:`safehold.client.items`."""


class InvalidItem(ItemError):
    """The JSON is not a valid item; the message says which part and why."""


class UnknownType(ItemError):
    """No record type matches the name."""

    def __init__(self, name: str, known: Sequence[str]) -> None:
        self.name = name
        self.known = tuple(known)
        super().__init__(f"there is no item type called {name!r}; the types are: {', '.join(self.known)}")


class InvalidTemplate(ItemError):
    """A user-defined record type could not be read."""


class FieldNotFound(ItemError):
    """The item has no field with that name."""

    def __init__(self, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        names = ", ".join(self.available) if self.available else "(none)"
        super().__init__(f"this item has no field called {name!r}; its fields are: {names}")


class InvalidField(ItemError):
    """A field name, kind or value that cannot be stored."""


class UnknownField(InvalidField):
    """Setting a field by a name the item's type does not have, when that must not add one."""

    def __init__(self, name: str, type_label: str, available: Sequence[str]) -> None:
        self.name = name
        self.type_label = type_label
        self.available = tuple(available)
        names = ", ".join(self.available) if self.available else "(none)"
        super().__init__(f"a {type_label} item has no field called {name!r}; its fields are: {names}")


class InvalidOtp(ItemError):
    """A TOTP secret or ``otpauth://`` URI that cannot produce codes."""


class InvalidGeneratorOptions(ItemError):
    """Generator options that admit no password (e.g. no character class chosen)."""
