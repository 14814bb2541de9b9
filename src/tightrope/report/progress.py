"""A rich progress bar with rate and ETA for the generate and judge stages."""

from __future__ import annotations

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from tightrope.textsafe import printable


class RichProgress:
    """Draws one bar per stage on stderr; implements the runner's Progress protocol."""

    def __init__(self, console: Console) -> None:
        self._bar = Progress(
            TextColumn("{task.description:<22}", markup=False),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("[progress.data.speed]{task.fields[rate]:>8}"),
            TimeElapsedColumn(),
            TextColumn("eta"),
            TimeRemainingColumn(),
            console=console,
            transient=False,
        )
        self._task: TaskID | None = None

    def start(self, stage: str, total: int) -> None:
        """Begin a bar for `stage` with `total` items (no bar when there is nothing to do)."""
        if total == 0:
            self._task = None
            return
        if not self._bar.live.is_started:
            self._bar.start()
        self._task = self._bar.add_task(printable(stage), total=total, rate="")

    def advance(self, n: int) -> None:
        """Advance the current bar by `n` items and refresh its rate."""
        if self._task is None:
            return
        self._bar.advance(self._task, n)
        speed = self._current().speed
        self._bar.update(self._task, rate=f"{speed:.1f}/s" if speed else "")

    def extend(self, n: int) -> None:
        """Add `n` items to the current bar's total (the plan is still being written)."""
        if self._task is None or n == 0:
            return
        total = self._current().total or 0
        self._bar.update(self._task, total=total + n)

    def _current(self) -> Task:
        return next(t for t in self._bar.tasks if t.id == self._task)

    def finish(self) -> None:
        """Complete the current bar."""
        if self._task is not None:
            self._bar.update(self._task, completed=self._current().total)
        self._task = None

    def close(self) -> None:
        """Stop drawing."""
        if self._bar.live.is_started:
            self._bar.stop()
