"""The lock file: every package the tests run with, pinned to the version they ran on.

    python scripts/lock.py            # rewrite requirements/lock.txt from this environment
    python scripts/lock.py --check    # exit 1 if this environment and the lock differ

``pyproject.toml`` says what Safehold needs (floors past known flaws); the lock says what
was tested. It is the closure of the project's requirements (with the ``dev`` and ``bench``
extras) over the packages installed in the running environment, each pinned ``==``, for
Linux and Python 3.11+ (environment markers are evaluated here, so a package needed only on
Windows or before 3.11 is left out). ``./run`` and CI install exactly this file, then Safehold
itself with ``--no-deps``.

To refresh it (new floors, newer releases): in a scratch environment,
``pip install --upgrade -e ".[dev,bench]"``, run the tests, then ``python scripts/lock.py``
and commit the file. Pins are without hashes: hashing every wheel of every platform needs a
resolver that downloads them (pip-tools' ``pip-compile --generate-hashes``), which this script
does not replace.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = ROOT / "pyproject.toml"
LOCK = ROOT / "requirements" / "lock.txt"
EXTRAS = ("dev", "bench")
HEADER = """\
# Every package Safehold's tests run with, pinned (Linux, Python 3.11+).
# Made by `python scripts/lock.py` from a tested environment; checked by `--check` in CI.
# Install: pip install -r requirements/lock.txt && pip install --no-deps -e .
"""


def canonical(name: str) -> str:
    """The package name as PEP 503 compares it."""
    return re.sub(r"[-_.]+", "-", name).lower()


def project_requirements(pyproject: Path = PYPROJECT) -> list[Requirement]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    texts = list(project["dependencies"])
    for extra in EXTRAS:
        texts += project.get("optional-dependencies", {}).get(extra, [])
    return [Requirement(text) for text in texts]


def _applies(requirement: Requirement, extras: set[str]) -> bool:
    if requirement.marker is None:
        return True
    env = dict(default_environment())
    return any(requirement.marker.evaluate({**env, "extra": extra}) for extra in (extras or {""}))


def closure(roots: list[Requirement]) -> dict[str, str]:
    """Every installed distribution the roots need, transitively: {canonical name: version}."""
    pinned: dict[str, str] = {}
    wanted: dict[str, set[str]] = {}
    todo = [(r, set()) for r in roots]
    while todo:
        requirement, parent_extras = todo.pop()
        if not _applies(requirement, parent_extras):
            continue
        name = canonical(requirement.name)
        extras = set(requirement.extras)
        if name in pinned and extras <= wanted[name]:
            continue
        try:
            dist = metadata.distribution(requirement.name)
        except metadata.PackageNotFoundError:
            raise SystemExit(f"{requirement.name} is required but not installed here") from None
        pinned[name] = dist.version
        wanted[name] = wanted.get(name, set()) | extras
        todo += [(Requirement(text), wanted[name]) for text in dist.requires or []]
    return pinned


def render(pins: dict[str, str]) -> str:
    return HEADER + "".join(f"{name}=={version}\n" for name, version in sorted(pins.items()))


def read_lock(path: Path = LOCK) -> dict[str, str]:
    """The lock's pins: {canonical name: version}."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            pins[canonical(name)] = version.strip()
    return pins


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--check", action="store_true", help="exit 1 if this environment and the lock differ")
    args = parser.parse_args()
    pins = closure(project_requirements())
    pins.pop("safehold", None)
    text = render(pins)
    if args.check:
        old = LOCK.read_text(encoding="utf-8") if LOCK.exists() else ""
        if old != text:
            sys.stderr.writelines(difflib.unified_diff(
                old.splitlines(keepends=True), text.splitlines(keepends=True), str(LOCK), "this environment"
            ))  # fmt: skip
            print(f"{LOCK.relative_to(ROOT)} and this environment differ: install the lock "
                  "(./run setup) or refresh it (python scripts/lock.py)", file=sys.stderr)  # fmt: skip
            return 1
        return 0
    LOCK.parent.mkdir(exist_ok=True)
    LOCK.write_text(text, encoding="utf-8")
    print(f"wrote {LOCK.relative_to(ROOT)} ({len(pins)} packages)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
