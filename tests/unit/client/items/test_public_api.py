from __future__ import annotations

import subprocess
import sys
import types

import safehold.client.items as items


def test_exported_names_are_exactly_all() -> None:
    public = {
        name
        for name, value in vars(items).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }
    assert public == set(items.__all__)


def test_errors_form_one_tree() -> None:
    for name in [
        "InvalidItem",
        "UnknownType",
        "InvalidTemplate",
        "FieldNotFound",
        "InvalidField",
        "InvalidOtp",
        "InvalidGeneratorOptions",
    ]:
        assert issubclass(getattr(items, name), items.ItemError)


def test_items_and_kit_never_import_the_server() -> None:
    code = (
        "import sys, safehold.client.items, safehold.client.kit; "
        "print([m for m in sys.modules if m.startswith('safehold.server')])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
