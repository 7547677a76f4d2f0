"""The import/export progress bar: drawn on a terminal for large work, never for small
work, never into a file or pipe, never with --json; taken down when the work fails."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from safehold.cli.progress import THRESHOLD, ItemProgress


def _console(terminal: bool) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(file=out, force_terminal=terminal, width=80), out


def test_a_terminal_sees_a_bar_for_large_work() -> None:
    console, out = _console(True)
    with ItemProgress(console, "importing", enabled=True) as progress:
        for done in range(1, THRESHOLD + 2):
            progress(done, THRESHOLD + 1)
    assert "importing" in out.getvalue()


@pytest.mark.parametrize(("terminal", "enabled", "total"), [
    (True, True, THRESHOLD - 1),  # small work
    (False, True, THRESHOLD * 2),  # a file or pipe
    (True, False, THRESHOLD * 2),  # --json
])  # fmt: skip
def test_no_bar(terminal: bool, enabled: bool, total: int) -> None:
    console, out = _console(terminal)
    with ItemProgress(console, "importing", enabled=enabled) as progress:
        for done in range(1, total + 1):
            progress(done, total)
    assert out.getvalue() == ""


def test_the_bar_is_taken_down_when_the_work_fails() -> None:
    console, _ = _console(True)
    bar = ItemProgress(console, "exporting", enabled=True)
    with pytest.raises(RuntimeError), bar:
        bar(1, THRESHOLD * 2)
        raise RuntimeError("disk full")
    assert bar._bar is None
