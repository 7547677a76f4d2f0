"""Runs the browser implementation's tests (``node --test tests/js/``) inside pytest, so the
README's one test command covers both implementations against spec/vectors/."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def test_javascript_protocol_passes_the_vectors() -> None:
    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            pytest.fail("node is required in CI for the browser crypto tests")
        pytest.skip("node is not installed")
    files = sorted(str(p) for p in HERE.glob("*.test.mjs"))
    assert files, "no JavaScript test files found in tests/js/"
    result = subprocess.run(
        [node, "--test", *files], capture_output=True, text=True, timeout=600, check=False
    )
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-4000:]
    assert "# fail 0" in result.stdout
