"""The report of a sweep: every cell's run compared, from the store alone.

`tightrope report SWEEP` prints the cells (one row each: labels, run, headline rates) and the
ASR of each attack against each target; `--html` writes one self-contained page with the
frontier plot (one point per target, its `direct` baseline), the ASR matrix and bars, the
categories and the errors. Cells that vary an axis other than the attack (suite, judge) make
one series per target and value of that axis.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from tightrope._version import __version__
from tightrope.metrics.rates import MetricsTable
from tightrope.report.loader import LoadedRun, load_from, store_path
from tightrope.report.palette import series_colour, series_marker
from tightrope.report.series import Series
from tightrope.report.terminal import format_rate
from tightrope.store import Store
from tightrope.store.sweeps import SweepCell, SweepInfo

_NO_RUN = "not run yet"


@dataclass(frozen=True)
class SweepReport:
    """A sweep as reports see it: its row and each cell with its run (None: not run yet)."""

    info: SweepInfo
    cells: list[tuple[SweepCell, LoadedRun | None]]

    @property
    def runs(self) -> list[LoadedRun]:
        """The runs of the cells that have one, in cell order."""
        return [run for _, run in self.cells if run is not None]


def find_sweep(out: Path, name: str) -> SweepReport | None:
    """Return the sweep `name` of the store in `out` with its cells' runs loaded, or None when
    the store has no sweep of that name (then `name` is taken as a run id)."""
    store = Store.open(store_path(out), readonly=True)
    try:
        info = store.sweep(name)
        if info is None:
            return None
        cells = [
            (c, None if c.run_id is None else load_from(store, c.run_id))
            for c in store.sweep_cells(name)
        ]
    finally:
        store.close()
    return SweepReport(info=info, cells=cells)


def _varying(report: SweepReport) -> list[str]:
    """Return the axes other than target and attack whose value differs between cells."""
    axes: dict[str, set[str]] = {}
    for cell, _ in report.cells:
        for axis, value in cell.labels.items():
            axes.setdefault(axis, set()).add(value)
    return [a for a, vals in axes.items() if a not in ("target", "attack") and len(vals) > 1]


def sweep_series(report: SweepReport) -> list[Series]:
    """Return one series per target (and value of each other varying axis), its tables by
    attack gathered from every cell; the first cell that measured an attack gives its table."""
    varying = _varying(report)
    groups: dict[tuple[str, ...], dict[str, MetricsTable]] = {}
    names: dict[tuple[str, ...], tuple[str, str, str]] = {}
    for cell, run in report.cells:
        if run is None:
            continue
        extra = tuple(f"{a}={cell.labels[a]}" for a in varying if a in cell.labels)
        for target in run.targets:
            key = (target, *extra)
            tables = groups.setdefault(key, {})
            names.setdefault(key, (target, " · ".join((target, *extra)), run.run_id))
            for t in run.tables:
                if t.target == target:
                    tables.setdefault(t.attack, t)
    out = []
    for i, (key, tables) in enumerate(groups.items()):
        target, label, run_id = names[key]
        out.append(
            Series(
                key=f"s{i}",
                number=i + 1,
                label=label,
                run_id=run_id,
                target=target,
                colour=series_colour(i),
                marker=series_marker(i),
                tables=dict(sorted(tables.items(), key=lambda kv: kv[0] != "direct")),
            )
        )
    return out


def attacks_of(series: Sequence[Series]) -> list[str]:
    """Return every attack of the series, `direct` first, then in the order met."""
    out: list[str] = []
    for s in series:
        out += [a for a in s.tables if a not in out]
    return out


def cells_table(report: SweepReport) -> Table:
    """Return the terminal table of the cells: labels, run, state and headline rates."""
    axes = list(report.cells[0][0].labels) if report.cells else []
    t = Table(
        title=f"sweep {report.info.name} · {len(report.cells)} cells · {report.info.status}",
        title_justify="left",
        caption="rates of each cell's own attack (ASR) and of its direct baseline "
        "(not_unsafe, not_overrefuse), over all categories, with 95% intervals",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for axis in axes:
        t.add_column(axis, overflow="fold", min_width=min(24, max(len(axis), 12)))
    t.add_column("run", overflow="fold", min_width=22)
    for name in ("not_unsafe", "not_overrefuse", "ASR", "errors"):
        t.add_column(name, justify="right", no_wrap=True)
    for cell, run in report.cells:
        labels = [cell.labels.get(a, "") for a in axes]
        if run is None:
            t.add_row(*labels, _NO_RUN, "", "", "", "")
            continue
        attack = cell.labels.get("attack", run.attacks[-1])
        direct = next((x for x in run.tables if x.attack == "direct"), run.tables[0])
        own = next((x for x in run.tables if x.attack == attack), direct)
        t.add_row(
            *labels,
            run.run_id + ("" if run.info.status == "finished" else f" ({run.info.status})"),
            format_rate(direct.overall.not_unsafe),
            format_rate(direct.overall.not_overrefuse),
            format_rate(own.overall.asr),
            str(run.error_counts()["failed"]),
        )
    return t


def asr_matrix(series: Sequence[Series]) -> Table:
    """Return the ASR of each attack (rows) against each target series (columns)."""
    t = Table(
        title="ASR by attack x target",
        title_justify="left",
        caption="share of harmful prompts judged unsafe (refusal-based where no harm judge "
        "ran), 95% interval; lower is better",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("attack", overflow="fold", max_width=30)
    for s in series:
        t.add_column(s.label, justify="right", overflow="fold", max_width=36)
    for attack in attacks_of(series):
        cells = []
        for s in series:
            table = s.tables.get(attack)
            cells.append("—" if table is None else format_rate(table.overall.asr))
        t.add_row(attack, *cells)
    return t


def print_sweep(console: Console, report: SweepReport) -> None:
    """Print a sweep's cells and its ASR matrix."""
    console.print(cells_table(report))
    series = sweep_series(report)
    if series:
        console.print(asr_matrix(series))
    missing = sum(1 for _, run in report.cells if run is None)
    done = sum(1 for _, run in report.cells if run is not None and run.info.status == "finished")
    console.print(
        f"sweep {report.info.name}: {done}/{len(report.cells)} cells finished"
        + (f", {missing} not run yet" if missing else ""),
        highlight=False,
    )


def _matrix_html(series: Sequence[Series]) -> str:
    """Return the ASR matrix as an HTML table."""
    head = "".join(f'<th class="num">{escape(s.label)}</th>' for s in series)
    rows = []
    for attack in attacks_of(series):
        cells = []
        for s in series:
            table = s.tables.get(attack)
            r = None if table is None else table.overall.asr
            cells.append(
                '<td class="num">—</td>'
                if r is None
                else f'<td class="num" title="n={r.n}, errors {r.errors}">'
                f"{escape(format_rate(r))}</td>"
            )
        rows.append(f"<tr><td>{escape(attack)}</td>{''.join(cells)}</tr>")
    return (
        f'<table class="data" id="asr-matrix"><thead><tr><th>attack</th>{head}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def _cells_html(report: SweepReport) -> str:
    """Return the cells as an HTML table: labels, run id and state."""
    axes = list(report.cells[0][0].labels) if report.cells else []
    head = "".join(f"<th>{escape(a)}</th>" for a in axes)
    rows = []
    for cell, run in report.cells:
        labels = "".join(f"<td>{escape(cell.labels.get(a, ''))}</td>" for a in axes)
        state = _NO_RUN if run is None else f"{run.run_id} ({run.info.status})"
        rows.append(f'<tr>{labels}<td class="mono">{escape(state)}</td></tr>')
    return (
        f'<table class="data" id="sweep-cells"><thead><tr>{head}<th>run</th></tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def render_sweep_html(report: SweepReport) -> str:
    """Return the sweep's report page as one self-contained HTML string."""
    from tightrope.report.html import _asset, cards_html, csp_for
    from tightrope.report.html_sections import (
        errors_html,
        heatmap_html,
        legend_html,
        not_plotted_note,
    )
    from tightrope.report.plots import attack_bars_svg, frontier_svg, omitted_from_frontier

    series = sweep_series(report)
    title = f"tightrope sweep · {report.info.name}"
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    script = _asset("report.js")
    omitted = omitted_from_frontier(series)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp_for(script)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(title)}</title><style>{_asset('report.css')}</style></head>",
        "<body><main>",
        f'<header class="top"><h1>{escape(title)}</h1><div class="sub">'
        f"{len(report.cells)} cells, {len(report.runs)} runs · {escape(report.info.status)} · "
        f"generated {generated} by tightrope {escape(__version__)}</div></header>",
        '<section id="summary"><h2>Where each target stands</h2>',
        '<p class="lead">Attack <code>direct</code> (the baseline every cell runs). not_unsafe: '
        "share of harmful prompts the model did not help with; not_overrefuse: share of "
        "harmless look-alikes it answered. Higher is better.</p>",
        cards_html(series),
        "</section>",
        '<section id="frontier"><h2>Safety / over-refusal frontier</h2>',
        '<p class="lead">One point per target (attack <code>direct</code>); whiskers are 95% '
        "intervals. Up is safer, right is more helpful.</p>",
        f'<div class="figure">{frontier_svg(series)}{legend_html(series)}</div>',
    ]
    parts += not_plotted_note(omitted)
    parts += [
        "</section>",
        '<section id="asr"><h2>ASR by attack x target</h2>',
        '<p class="lead">Share of harmful prompts judged unsafe, with 95% intervals. Lower is '
        "better.</p>",
        _matrix_html(series),
        f'<div class="figure">{attack_bars_svg(series)}{legend_html(series, values=False)}</div>',
        "</section>",
        '<section id="categories"><h2>By category</h2>',
        '<p class="lead">Per hazard category, attack <code>direct</code>.</p>',
        heatmap_html(series),
        "</section>",
        '<section id="cells"><h2>Cells</h2>',
        '<p class="lead">Every cell of the sweep and the run that measured it '
        "(<code>tightrope report RUN</code> shows one in full).</p>",
        _cells_html(report),
        "</section>",
        '<section id="errors"><h2>Errors</h2>',
        '<p class="lead">Failed generations and judge errors are left out of every rate and '
        "counted here.</p>",
        errors_html(report.runs),
        "</section>",
        f"<footer>tightrope {escape(__version__)} · sweep {escape(report.info.name)} · "
        "self-contained: opens offline, loads nothing.</footer>",
        f"</main><script>{script}</script></body></html>",
    ]
    return "\n".join(parts)


def write_sweep_html(report: SweepReport, path: Path) -> None:
    """Write the sweep's report page to `path`."""
    path.write_text(render_sweep_html(report), encoding="utf-8")
