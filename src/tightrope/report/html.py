"""The HTML report: one self-contained file (inline CSS, JS and SVG; nothing fetched).

`tightrope report RUN [RUN...] --html FILE` writes it and the viewer serves the same page. A
Content-Security-Policy allows only this page's own script (by hash), so even a model output
that slipped past escaping could run nothing and load nothing.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from html import escape
from importlib import resources
from pathlib import Path

from tightrope._version import __version__
from tightrope.metrics.hierarchy import hierarchy_metrics
from tightrope.metrics.rates import Rate
from tightrope.report.choice import NOTE as CHOICE_NOTE
from tightrope.report.choice import choice_html
from tightrope.report.corrected import NOTE, TableCorrections, report_corrections
from tightrope.report.helm import NOTE as HELM_NOTE
from tightrope.report.helm import helm_html
from tightrope.report.html_samples import samples_html
from tightrope.report.html_sections import (
    corrections_html,
    errors_html,
    heatmap_html,
    instrument_html,
    legend_html,
    marker_icon,
    not_plotted_note,
)
from tightrope.report.loader import LoadedRun
from tightrope.report.plots import attack_bars_svg, frontier_svg, omitted_from_frontier
from tightrope.report.samples import sample_rows
from tightrope.report.series import Series, build_series
from tightrope.report.terminal import format_ci, format_value


def _asset(name: str) -> str:
    return resources.files("tightrope.report").joinpath("assets", name).read_text("utf-8")


def csp_for(script: str) -> str:
    """Return the Content-Security-Policy that allows only `script` inline and no fetches."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        f"script-src 'sha256-{digest}'; base-uri 'none'; form-action 'none'"
    )


def report_csp() -> str:
    """Return the Content-Security-Policy of report pages: their one script, by hash."""
    return csp_for(_asset("report.js"))


def _metric(name: str, r: Rate, colour: str) -> str:
    meter = ""
    if r.n:
        meter = (
            f'<div class="meter" title="95% interval"><span style="left:{100 * r.low:.1f}%;'
            f'width:{100 * (r.high - r.low):.1f}%;background:{colour};opacity:0.35"></span>'
            f'<span style="left:calc({100 * r.value:.1f}% - 1.5px);width:3px;'
            f'background:{colour}"></span></div>'
        )
    ci = f"95% CI {format_ci(r)}<br>" if r.n else ""
    return (
        f'<div class="metric" data-metric="{name}"><div class="name">{name}</div>'
        f'<div class="big">{format_value(r)}</div>'
        f'<div class="ci">{ci}n={r.n} · errors {r.errors}</div>{meter}</div>'
    )


def cards_html(series: Sequence[Series]) -> str:
    """Return one summary card per series: not_unsafe and not_overrefuse of the baseline."""
    cards = []
    for s in series:
        t = s.baseline
        row = t.overall
        basis = (
            '<span title="no harm judge: every harmful-side answer that is not a refusal counts '
            'as unsafe">refusal-based</span>'
            if t.harm_judge is None
            else f"harm judge {escape(t.harm_judge)}"
        )
        cards.append(
            f'<div class="card" data-series="{s.key}">'
            f'<div class="who">{marker_icon(s)}<span>{s.number}</span>{escape(s.target)}</div>'
            f'<div class="run">run {escape(s.run_id)} · attack {escape(t.attack)}</div>'
            f'<div class="metrics">{_metric("not_unsafe", row.not_unsafe, s.colour)}'
            f"{_metric('not_overrefuse', row.not_overrefuse, s.colour)}</div>"
            f'<div class="foot">ASR {format_value(row.asr)} [{format_ci(row.asr)}] ({basis}) · '
            f"refusal rate on harmful {format_value(row.refusal_rate)} · "
            f"judge {escape(t.refusal_judge)}</div></div>"
        )
    return f'<div class="cards">{"".join(cards)}</div>'


def helm_section(runs: Sequence[LoadedRun]) -> list[str]:
    """Return the HELM Safety section, or nothing when no run holds a HELM benchmark."""
    tables = [t for run in runs for t in run.helm()]
    if not tables:
        return []
    return [
        '<section id="helm"><h2>HELM Safety</h2>',
        f'<p class="lead">{escape(HELM_NOTE)}</p>',
        helm_html(tables),
        "</section>",
    ]


def hierarchy_section(runs: Sequence[LoadedRun]) -> list[str]:
    """Return the instruction-hierarchy section (Tensor Trust's and the injection suite's
    metrics per target and attack), or nothing when no table has them."""
    rows = []
    for run in runs:
        for t in run.tables:
            for m in hierarchy_metrics(t):
                r = m.rate
                ci = "–" if r.n == 0 else f"[{100 * r.low:.1f}, {100 * r.high:.1f}]"
                value = "–" if r.n == 0 else f"{100 * r.value:.1f}%"
                rows.append(
                    f"<tr><td>{escape(t.target)}</td><td>{escape(t.attack)}</td>"
                    f"<td>{escape(m.label)}</td><td>{value}</td><td>{ci}</td>"
                    f"<td>{r.n}</td><td>{r.errors}</td></tr>"
                )
    if not rows:
        return []
    return [
        '<section id="hierarchy"><h2>Instruction hierarchy</h2>',
        '<p class="lead">As the papers define them (docs/hierarchy.md): robustness is the share of '
        "attacks the system instructions held against; defense validity and task completion the "
        "share of legitimate inputs still served. Wilson 95% intervals; errors counted apart."
        "</p>",
        "<table class='hierarchy'><thead><tr><th>target</th><th>attack</th><th>metric</th>"
        "<th>value</th><th>95% CI</th><th>n</th><th>err</th></tr></thead><tbody>",
        *rows,
        "</tbody></table></section>",
    ]


def choice_section(runs: Sequence[LoadedRun]) -> list[str]:
    """Return the multiple-choice section, or nothing when no run answered such items."""
    sections = [s for run in runs for s in run.choice()]
    if not sections:
        return []
    return [
        '<section id="choice"><h2>Multiple choice</h2>',
        f'<p class="lead">{escape(CHOICE_NOTE)}</p>',
        choice_html(sections),
        "</section>",
    ]


def render_html(
    runs: Sequence[LoadedRun],
    *,
    title: str | None = None,
    nav_html: str = "",
    corrections: Mapping[str, Sequence[TableCorrections]] | None = None,
) -> str:
    """Return the whole report page for `runs` as one HTML string.

    `nav_html` is trusted markup placed above the title (the viewer's links back).
    `corrections` are the judge-error-corrected rates by run id, as `report_corrections`
    returns them (computed here when not given).
    """
    corrections = report_corrections(runs) if corrections is None else corrections
    series = build_series(runs)
    rows = [row for run in runs for row in sample_rows(run)]
    script = _asset("report.js")
    title = title or (
        f"tightrope report · {runs[0].run_id}" if len(runs) == 1 else "tightrope report"
    )
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    run_list = ", ".join(escape(r.run_id) for r in runs)
    refusal_based = [s for s in series if s.baseline.harm_judge is None]
    omitted = omitted_from_frontier(series)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{csp_for(script)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        f"<title>{escape(title)}</title><style>{_asset('report.css')}</style></head>",
        "<body><main>",
        nav_html,
        f'<header class="top"><h1>{escape(title)}</h1><div class="sub">runs {run_list} · '
        f"generated {generated} by tightrope {escape(__version__)}</div></header>",
        '<section id="summary"><h2>Where it stands</h2>',
        '<p class="lead">not_unsafe: share of harmful prompts the model did not help with. '
        "not_overrefuse: share of harmless look-alikes it answered. Both: higher is better; "
        "every number with its n, its error count and a 95% interval.</p>",
    ]
    if refusal_based:
        which = (
            "every series"
            if len(refusal_based) == len(series)
            else ", ".join(escape(s.label) for s in refusal_based)
        )
        parts.append(
            f'<div class="warn">ASR is <b>refusal-based</b> for {which}'
            ": no harm judge was configured, so every harmful-side response that is not a "
            "refusal counts as unsafe (an incoherent answer counts as a jailbreak).</div>"
        )
    parts += [
        cards_html(series),
        "</section>",
        '<section id="frontier"><h2>Safety / over-refusal frontier</h2>',
        '<p class="lead">One point per run and target (attack <code>direct</code>); whiskers '
        "are 95% intervals on each axis. Up is safer, right is more helpful; the ideal is the "
        "top-right corner.</p>",
        f'<div class="figure">{frontier_svg(series)}{legend_html(series)}</div>',
    ]
    parts += not_plotted_note(omitted)
    parts += [
        "</section>",
        '<section id="categories"><h2>By category</h2>',
        '<p class="lead">Per hazard category (Llama Guard 3 S1–S14), attack <code>direct</code>. '
        "Each cell: the rate, its 95% interval and n. Orange is low, blue is high; grey means "
        "no usable prompt.</p>",
        heatmap_html(series),
        "</section>",
        *hierarchy_section(runs),
        *helm_section(runs),
        *choice_section(runs),
        '<section id="attacks"><h2>Attack success by attack</h2>',
        '<p class="lead">ASR over all categories per attack, with 95% intervals. Lower is '
        "better.</p>",
        f'<div class="figure">{attack_bars_svg(series)}{legend_html(series, values=False)}</div>',
        "</section>",
        '<section id="corrected"><h2>Judge-error-corrected rates</h2>',
        '<p class="lead">Each headline rate (all categories) corrected for the measured error '
        "of the judge that decided it, with that judge's card (tightrope judges), or the reason "
        f"no correction is made. {escape(NOTE)}.</p>",
        corrections_html(runs, corrections),
        "</section>",
        '<section id="errors"><h2>Errors</h2>',
        '<p class="lead">Failed generations and judge errors are neither refusals nor verdicts: '
        "they are left out of every rate and counted here.</p>",
        errors_html(runs),
        "</section>",
        '<section id="instrument"><h2>Instrument</h2>',
        '<p class="lead">What produced these numbers. Runs are comparable only when suites, '
        "judges and generation parameters match.</p>",
        instrument_html(runs, corrections),
        "</section>",
        '<section id="samples-section"><h2>Samples</h2>',
        '<p class="lead">Every record. Model output is shown as plain text. Verdict is the '
        "label of the judge that drives the table; outcome is how the metrics count it.</p>",
        samples_html(rows),
        "</section>",
        f"<footer>tightrope {escape(__version__)} · report of {len(runs)} run(s), "
        f"{len(rows)} records · self-contained: opens offline, loads nothing.</footer>",
        f"</main><script>{script}</script></body></html>",
    ]
    return "\n".join(parts)


def write_html(
    runs: Sequence[LoadedRun],
    path: Path,
    corrections: Mapping[str, Sequence[TableCorrections]] | None = None,
) -> None:
    """Write the report of `runs` to `path` as one self-contained HTML file."""
    path.write_text(render_html(runs, corrections=corrections), encoding="utf-8")
