"""pyproject's floors keep releases with known flaws out, and the lock file agrees with them.

Issue 12 item 17: a floor that admits a flawed release would let a fresh install pick it;
a lock that pins below a floor would make CI test something no user can install.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from packaging.requirements import Requirement
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]

#: The first release without each known flaw (advisory it closes); pyproject's floor must be
#: at least this. Transitive packages are named in pyproject only to carry these floors.
FIXED = {
    "cryptography": ("50.0.0", "CVE-2026-69247; earlier CVE-2026-39892, CVE-2024-12797"),
    "starlette": ("1.6.0", "CVE-2026-54282, CVE-2026-54283, CVE-2026-48710; earlier CVE-2024-47874"),
    "python-multipart": ("0.0.30", "CVE-2026-53537..53539; earlier CVE-2026-24486, CVE-2024-53981"),
    "pillow": ("12.3.0", "CVE-2026-55379; earlier CVE-2026-25990, CVE-2024-28219"),
    "h11": ("0.16.0", "CVE-2025-43859 (request smuggling)"),
    "jinja2": ("3.1.6", "CVE-2025-27516, CVE-2024-56326, CVE-2024-56201 (sandbox escapes)"),
    "lxml": ("6.1.3", "CVE-2026-49825, CVE-2026-41066 (XXE; pykeepass parses KDBX XML with it)"),
    "idna": ("3.7", "CVE-2024-3651"),
    "certifi": ("2024.7.4", "CVE-2024-39689 (distrusted roots)"),
    "pycryptodomex": ("3.19.1", "CVE-2023-52323"),
    "mako": ("1.3.12", "CVE-2026-44307; earlier CVE-2022-40023"),
    "fastapi": ("0.109.1", "CVE-2024-24762"),
    "httpx": ("0.23.0", "CVE-2021-41945"),
    "uvicorn": ("0.11.7", "CVE-2020-7694, CVE-2020-7695"),
    "pydantic": ("2.4.0", "CVE-2024-3772"),
    "aiosmtpd": ("1.4.6", "CVE-2024-34083, CVE-2024-27305 (tests' SMTP server)"),
    "requests": ("2.32.4", "CVE-2024-47081 (tests, via schemathesis)"),
    "urllib3": ("2.6.0", "CVE-2025-66418, CVE-2025-66471 (tests, via requests)"),
    "werkzeug": ("3.1.4", "CVE-2025-66221 (tests, via schemathesis)"),
}


def _lock_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("safehold_lock_script", ROOT / "scripts" / "lock.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


lock = _lock_module()


def _floors() -> dict[str, Requirement]:
    return {lock.canonical(r.name): r for r in lock.project_requirements(ROOT / "pyproject.toml")}


@pytest.mark.parametrize("name", sorted(FIXED))
def test_floor_is_past_the_known_flaws(name: str) -> None:
    fixed, advisory = FIXED[name]
    requirement = _floors().get(name)
    assert requirement is not None, f"{name} must be in pyproject.toml to carry its floor ({advisory})"
    floors = [Version(s.version) for s in requirement.specifier if s.operator in (">=", ">", "==")]
    assert floors, f"{name} has no floor in pyproject.toml"
    assert max(floors) >= Version(fixed), f"{name} floor admits releases before {fixed} ({advisory})"


def test_every_requirement_is_locked_within_its_floor() -> None:
    pins = lock.read_lock(ROOT / "requirements" / "lock.txt")
    for name, requirement in _floors().items():
        assert name in pins, f"{name} is in pyproject.toml but not in requirements/lock.txt"
        assert requirement.specifier.contains(pins[name], prereleases=True), (
            f"lock pins {name}=={pins[name]}, outside pyproject's {requirement}"
        )


def test_lock_pins_every_package_exactly_once() -> None:
    lines = [line for line in (ROOT / "requirements" / "lock.txt").read_text().splitlines()
             if line.strip() and not line.startswith("#")]  # fmt: skip
    names = [lock.canonical(line.split("==")[0]) for line in lines]
    assert all("==" in line and ";" not in line for line in lines)
    assert len(names) == len(set(names))
    assert "safehold" not in names
    for name, (fixed, advisory) in FIXED.items():
        assert Version(lock.read_lock(ROOT / "requirements" / "lock.txt")[name]) >= Version(fixed), advisory


def test_closure_follows_extras_and_markers(tmp_path: Path) -> None:
    """The lock is the installed closure: psycopg[binary] brings psycopg-binary, Windows-only
    and pre-3.11 packages are left out."""
    pins = lock.closure([Requirement("psycopg[binary]>=3.1"), Requirement("typer")])
    assert "psycopg-binary" in pins
    assert "colorama" not in pins  # typer needs it on Windows only
    assert pins["psycopg"] == lock.read_lock(ROOT / "requirements" / "lock.txt")["psycopg"]
