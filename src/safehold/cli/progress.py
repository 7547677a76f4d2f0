"""A progress bar for long imports and exports: on stderr, only at a terminal, never with
--json, and only once the work is large enough to be worth watching."""

from __future__ import annotations

from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress, TaskID

#: Fewer items than this finish before a bar would be seen.
THRESHOLD: Final = 500


class ItemProgress:
    """``progress(done, total)`` for :func:`safehold.interop.importing.apply_import` and
    :func:`safehold.interop.export.export_items`. A context manager: the bar is taken down
    even when the work fails half way."""

    def __init__(self, console: Console, label: str, *, enabled: bool) -> None:
        self.console = console
        self.label = label
        # A bar redrawn into a file or pipe is noise: only a terminal shows one.
        self.enabled = enabled and console.is_terminal
        self._bar: Progress | None = None
        self._task: TaskID | None = None

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled or total < THRESHOLD:
            return
        if self._bar is None:
            # Imported here: most commands never show a bar, and rich.progress is slow to load.
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

            self._bar = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                                 TimeRemainingColumn(), console=self.console, transient=True)  # fmt: skip
            self._bar.start()
            self._task = self._bar.add_task(self.label, total=total)
        assert self._task is not None
        self._bar.update(self._task, completed=done, total=total)
        if done >= total:
            self.close()

    def close(self) -> None:
        if self._bar is not None:
            self._bar.stop()
        self._bar = None
        self._task = None

    def __enter__(self) -> ItemProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
