"""`safehold --help` (and `safehold CMD --help`) in a blink: the help the full CLI printed last
time, when nothing it depends on has changed since.

Help is rendered by Typer and Rich from the whole command tree, and loading that tree costs
about a second on a busy machine for a few kilobytes of text that only changes with the code.
So the first time, the full CLI prints the help as usual while a copy is kept (the output
is teed, so what the person sees is exactly what it prints, colours and width included); the
next times, the copy is printed. The copy's name is a digest of everything the text depends
on: the command line, this interpreter, the size and time of every file of the safehold
package the help comes from (the CLI, client and interop code; not the server), of the
installed packages' directories (Typer, Click, Rich…), and the terminal
(whether stdout is one, its width, and the variables Rich reads for colours). A changed
file gives another name, so a stale copy is never shown; old copies are small and few.

Copies live in the user's cache directory (``$XDG_CACHE_HOME/safehold``, else
``~/.cache/safehold``), 0600 in a 0700 directory. ``SAFEHOLD_FAST=0`` turns this off too.
"""

from __future__ import annotations

import os
import sys

# Not `from typing import TYPE_CHECKING`: importing typing costs a few ms.
TYPE_CHECKING = False

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import TextIO

HELP_FLAGS = ("--help", "-h")
#: What Rich and Typer read from the environment to decide colours and width.
_TERMINAL_ENV = (
    "COLUMNS", "LINES", "TERM", "COLORTERM", "NO_COLOR", "FORCE_COLOR", "TERMINAL_WIDTH", "TTY_COMPATIBLE",
    "TTY_INTERACTIVE", "PY_COLORS", "GITHUB_ACTIONS", "_TYPER_FORCE_DISABLE_TERMINAL",
)  # fmt: skip


def is_help(argv: list[str]) -> bool:
    """``[COMMAND …] --help``: only command words before the flag, nothing else."""
    return bool(argv) and argv[-1] in HELP_FLAGS and all(
        word and not word.startswith("-") for word in argv[:-1]
    )


def cache_dir(env: Mapping[str, str] = os.environ) -> str:
    base = env.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return os.path.join(base, "safehold")


#: The parts of the safehold package the help is made from: the commands, and the client
#: and interop code they name (item types, import formats, defaults). Not the server or its
#: static files, which are most of the package's files and never shown in the CLI's help.
HELP_SOURCES = ("cli", "client", "interop")


def _tree_stamp(root: str, parts: list[str]) -> None:
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
        for name in sorted(filenames):
            if name.endswith(".py"):
                info = os.stat(os.path.join(dirpath, name))
                parts.append(f"{dirpath}/{name}:{info.st_size}:{info.st_mtime_ns}")


def fingerprint(argv: list[str], env: Mapping[str, str] = os.environ, *, tty: bool | None = None) -> str:
    """The digest that names the copy of the help ``argv`` asks for."""
    import safehold
    from safehold.client.paths import _sha256

    parts = [repr(argv), sys.version, sys.executable]
    package = os.path.dirname(os.path.abspath(safehold.__file__))
    for name in sorted(os.listdir(package)):
        if name.endswith(".py"):
            info = os.stat(os.path.join(package, name))
            parts.append(f"{name}:{info.st_size}:{info.st_mtime_ns}")
    for sub in HELP_SOURCES:
        _tree_stamp(os.path.join(package, sub), parts)
    # Installed packages: a directory's time changes when an entry is added, removed or renamed
    # (an upgrade renames the dist-info), which is enough to notice a new Typer or Rich.
    for entry in sys.path:
        if entry.endswith(("site-packages", "dist-packages")) and os.path.isdir(entry):
            parts.append(f"{entry}:{os.stat(entry).st_mtime_ns}")
    is_tty = sys.stdout.isatty() if tty is None else tty
    parts.append(f"tty={is_tty}")
    if is_tty:
        try:
            parts.append(f"size={os.get_terminal_size(sys.stdout.fileno())}")
        except (OSError, ValueError):
            parts.append("size=?")
    parts += [f"{name}={env.get(name)}" for name in _TERMINAL_ENV]
    return _sha256("\n".join(parts).encode())[:32]


def cached(argv: list[str], env: Mapping[str, str] = os.environ) -> str | None:
    """The help text kept for ``argv`` in this very setting, if there is one."""
    path = os.path.join(cache_dir(env), f"help-{fingerprint(argv, env)}.txt")
    try:
        with open(path, encoding="utf-8") as copy:
            return copy.read()
    except (OSError, ValueError):
        return None


def keep(argv: list[str], text: str, env: Mapping[str, str] = os.environ) -> None:
    """Write the copy (0600, in a 0700 directory); a copy that cannot be written is skipped."""
    directory = cache_dir(env)
    try:
        os.makedirs(directory, mode=0o700, exist_ok=True)
        path = os.path.join(directory, f"help-{fingerprint(argv, env)}.txt")
        partial = f"{path}.{os.getpid()}.tmp"
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(partial, path)
    except OSError:
        return


class _Tee:
    """stdout for the full CLI: everything goes to the real stdout and into a copy; the rest
    (isatty, fileno, encoding…) is the real stdout's, so Rich renders exactly as it would."""

    def __init__(self, real: TextIO) -> None:
        self._real = real
        self.copy: list[str] = []

    def write(self, text: str) -> int:
        # The real stream first: Click probes with write(b"") and expects a text stream's
        # TypeError, which must not leave a trace in the copy.
        written = self._real.write(text)
        self.copy.append(text)
        return written

    def __getattr__(self, name: str) -> object:
        return getattr(self._real, name)


def run_and_keep(argv: list[str], full: Callable[[], None], env: Mapping[str, str] = os.environ) -> None:
    """Run the full CLI for a help request, keeping what it prints when it succeeds."""
    real = sys.stdout
    tee = _Tee(real)
    sys.stdout = tee
    try:
        full()
    except SystemExit as exc:
        sys.stdout = real
        text = "".join(tee.copy)
        # Click rewraps a stream whose encoding is not UTF-8, and its writes would bypass
        # the copy: keep only what is surely all of it.
        utf8 = (getattr(real, "encoding", "") or "").lower().replace("_", "-") == "utf-8"
        if exc.code in (0, None) and utf8 and "Usage:" in text:
            keep(argv, text, env)
        raise
    finally:
        sys.stdout = real
