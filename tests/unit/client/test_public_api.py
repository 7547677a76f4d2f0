"""``safehold.client``'s public names: ``__all__``, each one real, the errors one
tree, and importing the package (or its agent) loads nothing heavy."""

from __future__ import annotations

import subprocess
import sys

import safehold.client as client


def test_all_names_resolve_and_nothing_else_is_public() -> None:
    for name in client.__all__:
        assert getattr(client, name) is not None, name
    assert sorted(dir(client)) == sorted(client.__all__)


def test_errors_form_one_tree_with_distinct_kinds() -> None:
    errors = [getattr(client, n) for n in client.__all__ if isinstance(getattr(client, n), type)
              and issubclass(getattr(client, n), Exception) and n != "AgentRefused"]  # fmt: skip
    assert all(issubclass(e, client.ClientError) for e in errors)
    assert len({e.kind for e in errors}) == len(errors)


def test_the_agent_and_the_package_import_light() -> None:
    heavy = "('httpx', 'pydantic', 'typer', 'rich', 'cryptography')"
    code = ("import sys, safehold.client.agent, safehold.client.paths, safehold.client.profile; "
            f"print(sorted(m for m in {heavy} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
