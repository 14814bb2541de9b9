"""A sweep: a grid of runs carried out as one named whole, each cell a run tagged in the store.

Every cell is resolved before anything is written (bad input fails first, nothing half-made).
Cells then run one after another through `run_async`, on one executor shared by all of them
(Ray's workers start once per sweep, not per cell). A cell whose run finished without a failed
record is not run again;
an unfinished one resumes by its fingerprint, so a sweep whose driver was killed resumes where
it stopped when the same command is given again. Cells that share calls (the baseline `direct`
of one target in every attack's cell) are answered by the response cache after the first.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.run.config import RunConfig
from tightrope.run.executors._base import Executor
from tightrope.run.progress import NoProgress, Progress
from tightrope.run.resolution import ResolvedRun, resolve
from tightrope.run.result import RunResult, opened
from tightrope.store.sweeps import SweepCell


@dataclass(frozen=True)
class Cell:
    """One cell of a sweep: its key, its label per axis and the config of its run."""

    key: str
    labels: dict[str, str]
    config: RunConfig


@dataclass(frozen=True)
class CellOutcome:
    """What became of a cell: its run, and the result when it ran in this session (None when
    its run had finished before)."""

    cell: Cell
    run_id: str
    result: RunResult | None


class CellProgress:
    """Progress of one cell, its stages prefixed with the cell's place in the sweep."""

    def __init__(self, inner: Progress, prefix: str) -> None:
        self.inner = inner
        self.prefix = prefix

    def start(self, stage: str, total: int) -> None:
        """Start the inner stage with the cell's prefix (`[2/6] generating`)."""
        self.inner.start(f"{self.prefix} {stage}", total)

    def advance(self, n: int) -> None:
        """Advance the inner stage."""
        self.inner.advance(n)

    def extend(self, n: int) -> None:
        """Grow the inner stage's total."""
        self.inner.extend(n)

    def finish(self) -> None:
        """Finish the inner stage."""
        self.inner.finish()


def resolve_cells(
    cells: Sequence[Cell], *, notify: Callable[[str], None] | None = None
) -> list[ResolvedRun]:
    """Return every cell resolved (InputError naming the cell on bad input; nothing written)."""
    out = []
    seen: set[str] = set()
    for cell in cells:
        try:
            resolved = resolve(cell.config, notify=None if seen else notify)
        except InputError as exc:
            raise InputError(f"sweep cell {cell.key}: {exc}") from None
        seen.add(cell.key)
        out.append(resolved)
    return out


async def run_sweep_async(
    name: str,
    cells: Sequence[Cell],
    *,
    out: Path,
    definition: dict[str, Any],
    executor: Executor | None = None,
    progress: Progress | None = None,
    on_cell: Callable[[int, Cell, str, str], None] | None = None,
    resolved: Sequence[ResolvedRun] | None = None,
) -> list[CellOutcome]:
    """Run (or resume) every cell of sweep `name` into the store at `out`; return each cell's
    outcome in order.

    `definition` is what defines the sweep (stored with it); a sweep of the same name made
    from another definition is refused (InputError) rather than mixed. `on_cell(i, cell,
    run_id, state)` is told when each cell starts (`starting`, `resuming`) or is found done
    (`done`). `resolved` are the cells already resolved (`resolve_cells`), else they are
    resolved here, before the store is opened.
    """
    progress = progress or NoProgress()
    runs = list(resolved) if resolved is not None else resolve_cells(cells)
    from tightrope.run.runner import run_async

    stored_cells = [
        SweepCell(cell=c.key, position=i, labels=c.labels, run_id=None) for i, c in enumerate(cells)
    ]
    with opened(out) as store:
        existing = store.sweep(name)
        if existing is not None and existing.definition != definition:
            raise InputError(
                f"{store.path}: sweep {name!r} was made from another definition; give this one "
                "another `name:` or use another --out folder"
            )
        store.put_sweep(name, definition, stored_cells)
        done = {c.cell: c.run_id for c in store.sweep_cells(name) if c.run_id is not None}
        # A finished cell is not run again unless some of its records failed: then it runs
        # again as `tightrope run` would (a new run, answered by the cache but for the failures).
        finished = {
            cell: run_id
            for cell, run_id in done.items()
            if (info := store.run(run_id)).status == "finished"
            and store.failed_attempts(run_id, list(info.config.get("judges", ()))) == 0
        }
        outcomes: list[CellOutcome] = []
        for i, (cell, run) in enumerate(zip(cells, runs, strict=True)):
            if cell.key in finished:
                if on_cell is not None:
                    on_cell(i, cell, finished[cell.key], "done")
                outcomes.append(CellOutcome(cell=cell, run_id=finished[cell.key], result=None))
                continue

            def started(run_id: str, resumed: bool, i: int = i, cell: Cell = cell) -> None:
                store.tag_run(name, cell.key, run_id)
                if on_cell is not None:
                    on_cell(i, cell, run_id, "resuming" if resumed else "starting")

            result = await run_async(
                run,
                out=out,
                progress=CellProgress(progress, f"[{i + 1}/{len(cells)}]"),
                on_start=started,
                executor=executor,
            )
            outcomes.append(CellOutcome(cell=cell, run_id=result.run_id, result=result))
        store.finish_sweep(name)
    return outcomes
