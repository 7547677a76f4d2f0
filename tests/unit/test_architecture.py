"""The layout is the architecture: the client never imports the server, the server never
imports the client, and both reach the crypto only through its public package."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "safehold"


def imports_of(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def modules(part: str) -> list[Path]:
    return sorted((SRC / part).rglob("*.py"))


@pytest.mark.parametrize(
    ("part", "forbidden"),
    [
        ("client", ("safehold.server",)),
        ("cli", ("safehold.server",)),
        ("server", ("safehold.client", "safehold.cli")),
        ("crypto", ("safehold.server", "safehold.client", "safehold.cli", "safehold.wire")),
    ],
)
def test_parts_do_not_import_each_other(part: str, forbidden: tuple[str, ...]) -> None:
    files = modules(part)
    assert files
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for path in files
        for name in imports_of(path)
        if name.startswith(forbidden)
    ]
    assert offenders == []


def test_only_crypto_touches_its_private_modules() -> None:
    offenders = [
        f"{path.relative_to(SRC)} imports {name}"
        for part in ("client", "cli", "server")
        for path in modules(part)
        for name in imports_of(path)
        if name.startswith("safehold.crypto._")
    ]
    assert offenders == []


def test_crypto_does_no_io() -> None:
    io_modules = ("socket", "httpx", "sqlite3", "sqlalchemy", "pathlib", "subprocess", "logging")
    offenders = [
        f"{path.name} imports {name}"
        for path in modules("crypto")
        for name in imports_of(path)
        if name.startswith(io_modules)
    ]
    assert offenders == []
