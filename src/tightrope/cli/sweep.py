"""`tightrope sweep SWEEP.yaml`: a grid of runs (targets x suites x attacks x judges), one report.

Exit codes: 0 success; 1 some cell finished with more failed records than its
--max-error-rate; 2 bad input (the sweep file, an unknown name, `--executor ray` without Ray);
130 interrupted (every finished cell is saved; the same command resumes the sweep).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from tightrope.cli.common import DEFAULT_OUT, fail, markup_safe, stderr, stdout
from tightrope.errors import InputError

if TYPE_CHECKING:
    from tightrope.run.sweep import Cell
    from tightrope.run.sweep_file import SweepFile

# The values `tightrope run` gives the options a sweep file leaves out.
_RUN_DEFAULTS: dict[str, Any] = {
    "sample_seed": 0,
    "max_error_rate": 0.05,
    "combine": "majority",
    "cache": "read-write",
}


def sweep(
    file: Annotated[Path, typer.Argument(help="The sweep file (YAML: axes, exclude, settings).")],
    executor: Annotated[
        str,
        typer.Option(
            "--executor",
            help="Where calls run: local (this process), ray (a Ray cluster started here) or "
            "ray:ADDRESS (an existing cluster); ray needs `pip install 'tightrope[ray]'`.",
        ),
    ] = "local",
    workers: Annotated[
        int | None,
        typer.Option(min=1, help="Ray workers (default: one per CPU of the cluster)."),
    ] = None,
    out: Annotated[
        Path | None,
        typer.Option(
            "--out", "--log-dir", help="Folder of the run store (default: the file's `out`)."
        ),
    ] = None,
    html: Annotated[
        Path | None, typer.Option("--html", help="Also write the sweep's HTML report here.")
    ] = None,
) -> None:
    """Run every cell of a sweep (each a run in the store, tagged with the sweep); print the
    comparison of all cells."""
    from tightrope.run.executors import get_executor
    from tightrope.run.sweep import resolve_cells
    from tightrope.run.sweep_file import load_sweep_file

    try:
        spec = load_sweep_file(file)
        cells = _cells(spec)
        store_dir = out or Path(spec.shared.get("out") or DEFAULT_OUT)
        resolved = resolve_cells(cells, notify=lambda notice: stderr.print(notice, highlight=False))
        pool = get_executor(executor, workers=workers)
    except InputError as exc:
        fail(str(exc))
    outcomes = _execute(spec, cells, resolved, pool, store_dir)
    _report(store_dir, spec.name, html)
    over = [o for o in outcomes if o.result is not None and o.result.error_rate_exceeded]
    if over:
        fail(
            f"{len(over)} cell(s) exceed their --max-error-rate ({over[0].cell.key}); give the "
            "same command again to retry the failed calls",
            code=1,
        )


def _cells(spec: SweepFile) -> list[Cell]:
    """Return the sweep's cells with their run configs (the options of `tightrope run`)."""
    from tightrope.cli.run_options import build_config
    from tightrope.run.run_file import OPTION_KINDS
    from tightrope.run.sweep import Cell

    shared = {k: v for k, v in spec.shared.items() if k in OPTION_KINDS}
    extra = {k: v for k, v in spec.shared.items() if k not in OPTION_KINDS}
    if shared.get("target_config"):
        shared["target_config"] = Path(shared["target_config"])
    stored = {"path": str(spec.path), "text": spec.text}
    out = []
    for c in spec.cells:
        options = {**_RUN_DEFAULTS, **{k: v for k, v in shared.items() if v is not None}}
        options.update(c.options)
        out.append(Cell(key=c.key, labels=c.labels, config=build_config(options, extra, stored)))
    return out


def _execute(spec: SweepFile, cells: list[Cell], resolved: list[Any], pool: Any, out: Path) -> Any:
    """Run the sweep with per-cell progress on stderr; exit 130 when interrupted."""
    import asyncio

    from tightrope.report.progress import RichProgress
    from tightrope.run.sweep import run_sweep_async
    from tightrope.targets.cached import CostLimitReached

    progress = RichProgress(stderr)
    total = len(cells)

    def on_cell(i: int, cell: Cell, run_id: str, state: str) -> None:
        what = "finished before" if state == "done" else f"{state} run"
        stderr.print(
            f"cell {i + 1}/{total} [bold]{markup_safe(cell.key)}[/bold]: {what} "
            f"{markup_safe(run_id)}",
            markup=True,
            highlight=False,
        )

    async def go() -> Any:
        try:
            return await run_sweep_async(
                spec.name,
                cells,
                out=out,
                definition=spec.definition(),
                executor=pool,
                progress=progress,
                on_cell=on_cell,
                resolved=resolved,
            )
        finally:
            await pool.aclose()

    try:
        outcomes = asyncio.run(go())
    except InputError as exc:
        progress.close()
        fail(str(exc))
    except CostLimitReached as exc:
        progress.close()
        fail(f"{exc}; give the same command with a higher max_cost to continue", code=1)
    except KeyboardInterrupt:
        progress.close()
        stderr.print(
            f"interrupted: sweep {spec.name} is saved in {out}; give the same command again "
            "to continue where it stopped"
        )
        raise typer.Exit(130) from None
    progress.close()
    return outcomes


def _report(out: Path, name: str, html: Path | None) -> None:
    """Print the sweep's comparison (and write its HTML page when asked)."""
    from tightrope.report.sweep import find_sweep, print_sweep, write_sweep_html
    from tightrope.store.schema import refuse_store_paths

    try:
        refuse_store_paths(out, (html,))
    except InputError as exc:
        fail(str(exc))
    report = find_sweep(out, name)
    if report is None:  # pragma: no cover - the sweep was just stored
        fail(f"{out}: no sweep {name!r}")
    stdout.print()
    print_sweep(stdout, report)
    if html is not None:
        try:
            write_sweep_html(report, html)
        except OSError as exc:
            fail(f"{html}: cannot write the report ({exc.strerror})")
        stdout.print(f"wrote {html}", highlight=False)
    stdout.print(f"see it again with: tightrope report {name} --out {out}", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `sweep` command to the main app."""
    app.command()(sweep)
