"""Importers: each reads one source format into items (spec/items.md), skipping what it
cannot read with a reason, never aborting the rest. ``detect`` finds the format from the
file's content; ``REGISTRY`` maps the ``--from`` names to readers."""

from ._base import (
    CorruptFile,
    ImportedItem,
    ImportFailure,
    ImportRead,
    Skipped,
    UnknownFormat,
    WrongFilePassword,
)
from ._registry import FORMATS, detect, read_file

__all__ = [
    "FORMATS",
    "CorruptFile",
    "ImportFailure",
    "ImportRead",
    "ImportedItem",
    "Skipped",
    "UnknownFormat",
    "WrongFilePassword",
    "detect",
    "read_file",
]
