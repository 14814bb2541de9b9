"""How a run reports its progress: the CLI draws bars, the Python API draws nothing."""

from __future__ import annotations

from typing import Protocol


class Progress(Protocol):
    """Receives stage progress; the CLI draws it as a bar, the API ignores it.

    `extend` adds `n` items to the current stage's total: the generate stage's total grows as
    the plan is written (run/plan.py).
    """

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def extend(self, n: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """A Progress that draws nothing (the Python API)."""

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def extend(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass
