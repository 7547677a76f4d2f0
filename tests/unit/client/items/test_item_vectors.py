"""The item model against spec/vectors/items-v1.json (spec/items.md)."""

from __future__ import annotations

import copy
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from safehold.client.items import InvalidItem, Item
from safehold.client.merge import merge_items
from safehold.crypto import canonical_json

ROOT = Path(__file__).resolve().parents[4]
VECTORS = json.loads((ROOT / "spec" / "vectors" / "items-v1.json").read_text(encoding="utf-8"))


def _name(case: dict[str, Any]) -> str:
    return str(case["name"])


@pytest.mark.parametrize("case", VECTORS["valid"], ids=_name)
def test_valid_items_are_read_and_written_canonically(case: dict[str, Any]) -> None:
    item = Item.from_json(case["item"])
    assert canonical_json(item.to_json()).hex() == case["canonical_hex"]


@pytest.mark.parametrize("case", VECTORS["invalid"], ids=_name)
def test_invalid_items_are_refused(case: dict[str, Any]) -> None:
    with pytest.raises(InvalidItem):
        Item.from_json(case["item"])


@pytest.mark.parametrize("case", VECTORS["merges"], ids=_name)
def test_merges(case: dict[str, Any]) -> None:
    result = merge_items(
        copy.deepcopy(case["base"]), copy.deepcopy(case["local"]), copy.deepcopy(case["remote"])
    )
    assert result.merged == case["merged"]
    assert bool(result.conflicts) == case["conflict_copy"]


def test_the_committed_vectors_match_the_code() -> None:
    script = ROOT / "scripts" / "make_item_vectors.py"
    done = subprocess.run(
        [sys.executable, str(script), "--check"], capture_output=True, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
