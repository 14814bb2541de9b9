"""Sections of the HTML report: legend, category heatmap, judge-error-corrected rates, error
counts and the instrument.

Every value that came from a run (target specs, suite names, judge names) is escaped.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from html import escape
from typing import Any

from tightrope.datasets.taxonomy import CATEGORIES, category_sort_key
from tightrope.metrics.rates import OVERALL, CategoryRow, Rate
from tightrope.report.corrected import (
    RateCorrection,
    TableCorrections,
    card_label,
    pct,
    run_unseen_attacks,
)
from tightrope.report.loader import LoadedRun
from tightrope.report.palette import marker_svg, rate_colour, text_colour_on
from tightrope.report.series import Series
from tightrope.report.terminal import format_ci, format_rate, format_value

HEAT_METRICS = ("not_unsafe", "not_overrefuse")


def not_plotted_note(omitted: Sequence[str]) -> list[str]:
    """Return the note under a frontier naming the series it could not plot (none: nothing)."""
    if not omitted:
        return []
    names = ", ".join(escape(o) for o in omitted)
    return [f'<p class="note">Not plotted (no usable prompt on one side): {names}</p>']


def marker_icon(s: Series, size: int = 14) -> str:
    """Return a small inline SVG of the series' marker in its colour."""
    half = size / 2
    return (
        f'<svg width="{size}" height="{size}" viewBox="0 0 {size} {size}" aria-hidden="true">'
        f"{marker_svg(s.marker, half, half, half - 2, s.colour)}</svg>"
    )


def legend_html(series: Sequence[Series], *, values: bool = True) -> str:
    """Return the legend: marker, colour and label per series, with headline numbers."""
    items = []
    for s in series:
        row = s.baseline.overall
        vals = (
            f'<span class="vals">not_unsafe {format_rate(row.not_unsafe)} · not_overrefuse '
            f"{format_rate(row.not_overrefuse)}</span>"
            if values
            else ""
        )
        items.append(
            f'<li data-series="{s.key}">{marker_icon(s)}<span><b>{s.number}</b> '
            f"{escape(s.label)}{vals}</span></li>"
        )
    return (
        f'<div><div class="legend-title">Legend</div><ul class="legend">{"".join(items)}</ul></div>'
    )


def _cell(metric: str, r: Rate, series_key: str, category: str) -> str:
    value = r.value if r.n else math.nan
    style = f"background:{rate_colour(value)};color:{text_colour_on(value)}"
    tip = escape(
        f"{metric} {format_rate(r)} · n={r.n} · errors {r.errors}"
        if r.n
        else f"{metric}: no usable prompt (errors {r.errors})"
    )
    data = (
        f'data-series="{series_key}" data-metric="{metric}" data-category="{escape(category)}" '
        f'data-k="{r.k}" data-n="{r.n}" data-errors="{r.errors}"'
    )
    if not r.n:
        return (
            f'<td class="cell" style="{style}" title="{tip}" {data}><span class="v">—</span></td>'
        )
    return (
        f'<td class="cell" style="{style}" title="{tip}" {data} data-value="{r.value:.6f}" '
        f'data-low="{r.low:.6f}" data-high="{r.high:.6f}"><span class="v">{format_value(r)}</span>'
        f'<span class="ci">{format_ci(r)} · n={r.n}</span></td>'
    )


def heatmap_html(series: Sequence[Series]) -> str:
    """Return the category heatmap: one row per category, two columns per series."""
    rows_by: list[dict[str, CategoryRow]] = [
        {r.category: r for r in s.baseline.rows} for s in series
    ]
    cats = sorted({c for rows in rows_by for c in rows if c != OVERALL}, key=category_sort_key)
    head1 = "".join(
        f'<th class="series" colspan="2" data-series="{s.key}">{_icon_label(s)}</th>'
        for s in series
    )
    head2 = "".join("<th>not_unsafe</th><th>not_overrefuse</th>" for _ in series)
    body = []
    for cat in [*cats, OVERALL]:
        name = "all categories" if cat == OVERALL else f"{cat} {CATEGORIES.get(cat, cat)}"
        cells = []
        for s, rows in zip(series, rows_by, strict=True):
            row = rows.get(cat)
            for metric in HEAT_METRICS:
                if row is None:
                    cells.append('<td class="cell" style="background:#f2f2f2"></td>')
                else:
                    cells.append(_cell(metric, getattr(row, metric), s.key, cat))
        cls = ' class="overall"' if cat == OVERALL else ""
        body.append(f'<tr{cls}><td class="cat">{escape(name)}</td>{"".join(cells)}</tr>')
    scale = "linear-gradient(to right, " + ", ".join(
        f"{rate_colour(v / 10)} {10 * v}%" for v in range(11)
    )
    return (
        '<div class="scale"><span>0%</span><span class="bar" style="background:'
        f'{scale})"></span><span>100%</span><span>· low (orange) is worse, high (blue) is '
        "better, for both metrics</span></div>"
        '<div class="heat-wrap"><table class="heat" id="heatmap"><thead>'
        f'<tr><th class="cat"></th>{head1}</tr><tr><th class="cat">category</th>{head2}</tr>'
        f"</thead><tbody>{''.join(body)}</tbody></table></div>"
    )


def _icon_label(s: Series) -> str:
    run = f'<br><span class="mono">{escape(s.run_id)}</span>' if s.label != s.target else ""
    return f"{marker_icon(s, 12)} <b>{s.number}</b> {escape(s.target)}{run}"


def _correction_row(run_id: str, t: TableCorrections, c: RateCorrection) -> str:
    """Return one row of the corrected-rates table; every name and reason escaped."""
    if c.card is None:
        card, se, sp = "—", "—", "—"
    else:
        card, se, sp = escape(card_label(c.card)), pct(c.se), pct(c.sp)
    if c.ok:
        est = (
            f'<td class="num">{pct(c.estimate)}</td><td class="num">{pct(c.low)}–{pct(c.high)}</td>'
        )
        note = escape(c.version_note())
    else:
        est, note = '<td class="num">—</td><td class="num">—</td>', escape(c.reason)
    data = f'data-run="{escape(run_id)}" data-rate="{c.rate}" data-corrected="{str(c.ok).lower()}"'
    return (
        f'<tr {data}><td class="mono">{escape(run_id)}</td><td>{escape(t.target)}</td>'
        f"<td>{escape(t.attack)}</td><td>{escape(c.label)}</td>"
        f'<td class="num">{pct(c.observed)} ({c.k}/{c.n})</td>{est}<td>{card}</td>'
        f'<td class="num">{se}</td><td class="num">{sp}</td><td>{note}</td></tr>'
    )


def corrections_html(
    runs: Sequence[LoadedRun], corrections: Mapping[str, Sequence[TableCorrections]]
) -> str:
    """Return the table of judge-error-corrected rates: per run, table and headline rate the
    observed rate, the corrected one with its 95% interval and the card, or why none is made."""
    rows = [
        _correction_row(run.run_id, t, c)
        for run in runs
        for t in corrections[run.run_id]
        for c in t.rates
    ]
    return (
        '<table class="data" id="corrected-table"><thead><tr><th>run</th><th>target</th>'
        '<th>attack</th><th>rate</th><th class="num">observed</th><th class="num">corrected</th>'
        '<th class="num">95% CI</th><th>card</th><th class="num">Se</th><th class="num">Sp</th>'
        f"<th>note</th></tr></thead><tbody>{''.join(rows)}</tbody></table>"
    )


def errors_html(runs: Sequence[LoadedRun]) -> str:
    """Return the error table: per run and table, record-level and per-side error counts."""
    rows = []
    for run in runs:
        c = run.error_counts()
        share = 100 * c["failed"] / c["records"] if c["records"] else 0.0
        for t in run.tables:
            o = t.overall
            rows.append(
                f'<tr data-run="{escape(run.run_id)}"><td class="mono">{escape(run.run_id)}</td>'
                f"<td>{escape(t.target)}</td><td>{escape(t.attack)}</td>"
                f'<td class="num">{c["records"]}</td><td class="num">{c["generation_errors"]}</td>'
                f'<td class="num">{c["judge_errors"]}</td><td class="num">{share:.1f}%</td>'
                f'<td class="num">{o.not_unsafe.errors}</td>'
                f'<td class="num">{o.not_overrefuse.errors}</td></tr>'
            )
    return (
        '<table class="data" id="error-table"><thead><tr><th>run</th><th>target</th>'
        '<th>attack</th><th class="num">records (run)</th><th class="num">failed generations</th>'
        '<th class="num">judge errors</th><th class="num">failed share</th>'
        '<th class="num">harmful-side errors</th><th class="num">benign-side errors</th></tr>'
        f"</thead><tbody>{''.join(rows)}</tbody></table>"
    )


def _dl(items: Sequence[tuple[str, str]]) -> str:
    return "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{v}</dd>" for k, v in items) + "</dl>"


def _gen(gen: dict[str, Any]) -> str:
    return ", ".join(f"{escape(str(k))} {escape(str(v))}" for k, v in gen.items())


def instrument_html(
    runs: Sequence[LoadedRun], corrections: Mapping[str, Sequence[TableCorrections]]
) -> str:
    """Return one box per run naming its instrument: suites with checksums, judges with
    versions and roles, targets, generation parameters and the tightrope version.
    """
    boxes = []
    for run in runs:
        ins = run.instrument
        unseen = run_unseen_attacks(corrections[run.run_id])
        suites = "<br>".join(
            f"{escape(str(s['name']))}@{escape(str(s['version']))} · n={escape(str(s['n']))} · "
            f'<code title="sha256 {escape(str(s["checksum"]))}">sha256 '
            f"{escape(str(s['checksum'])[:16])}…</code>"
            for s in ins.get("suites", [])
        )
        judges = []
        for j in ins.get("judges", []):
            name = str(j["name"])
            role = (
                "drives refusal metrics"
                if name == run.refusal_judge
                else "drives ASR"
                if name == run.harm_judge
                else "stored"
            )
            judges.append(
                f"{escape(name)} v{escape(str(j['version']))} ({escape(str(j.get('kind')))}, "
                f"{role})"
            )
        targets = "<br>".join(
            f"{escape(str(t['spec']))} (version {escape(str(t['version']))})"
            for t in ins.get("targets", [])
        )
        boxes.append(
            f'<div class="box" data-run="{escape(run.run_id)}"><h3>run '
            f"{escape(run.run_id)}</h3>"
            + _dl(
                [
                    ("status", escape(f"{run.info.status} · created {run.info.created_at}")),
                    ("targets", targets),
                    ("suites", suites),
                    ("judges", "<br>".join(judges)),
                    ("attacks", escape(", ".join(run.attacks))),
                    ("ASR basis", escape(run.tables[0].asr_basis if run.tables else "")),
                    *(
                        [("harm judge on new attacks", escape(unseen))]
                        if unseen is not None
                        else []
                    ),
                    ("generation", _gen(ins.get("generation", {}))),
                    ("tightrope", escape(str(ins.get("tightrope_version", "?")))),
                ]
            )
            + "</div>"
        )
    return f'<div class="instrument">{"".join(boxes)}</div>'
