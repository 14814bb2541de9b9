"""Pages of the viewer that the HTML report does not already provide: the list of runs."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape
from importlib import resources
from pathlib import Path

from tightrope._version import __version__
from tightrope.metrics.rates import Rate
from tightrope.report.loader import LoadedRun
from tightrope.report.terminal import format_rate

INDEX_CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'"


def _css() -> str:
    return resources.files("tightrope.report").joinpath("assets", "report.css").read_text("utf-8")


def page(title: str, body: str) -> str:
    """Return a full page with the report's stylesheet and a script-free policy."""
    return (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        f'<meta http-equiv="Content-Security-Policy" content="{INDEX_CSP}">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{_css()}</style></head><body><main>"
        f"{body}<footer>tightrope {escape(__version__)} · local viewer, read-only</footer>"
        "</main></body></html>"
    )


def _when(iso: str) -> str:
    day, _, time = iso.partition("T")
    return f'{escape(day)}<br><span class="verdicts">{escape(time[:8])} UTC</span>'


def _rate_cell(r: Rate) -> str:
    return (
        f'<td class="num nowrap" data-n="{r.n}">{escape(format_rate(r))}'
        f'<br><span class="verdicts">n={r.n} · errors {r.errors}</span></td>'
    )


def index_html(store: Path, runs: Sequence[LoadedRun]) -> str:
    """Return the list of runs: id (linked), status, targets, suites, records and headline
    rates per target (attack direct) with their intervals.
    """
    rows = []
    for run in runs:
        counts = run.error_counts()
        suites = ", ".join(f"{s['name']}@{s['version']}" for s in run.instrument.get("suites", []))
        tables = [t for t in run.tables if t.attack == "direct"] or run.tables
        for i, t in enumerate(tables):
            o = t.overall
            first = i == 0
            span = f' rowspan="{len(tables)}"' if first and len(tables) > 1 else ""
            head = (
                f'<td{span} class="nowrap"><a class="mono" href="/run/{escape(run.run_id)}">'
                f"{escape(run.run_id)}</a></td><td{span}>{escape(run.info.status)}</td>"
                f'<td{span} class="nowrap">{_when(run.info.created_at)}</td>'
                f"<td{span}>{escape(suites)}</td>"
                f'<td{span} class="num">{counts["records"]}</td>'
                f'<td{span} class="num">{counts["failed"]}</td>'
                if first
                else ""
            )
            rows.append(
                f'<tr data-run="{escape(run.run_id)}">{head}<td>{escape(t.target)}</td>'
                f"{_rate_cell(o.not_unsafe)}{_rate_cell(o.not_overrefuse)}</tr>"
            )
    table = (
        '<table class="data" id="runs"><thead><tr><th>run</th><th>status</th><th>created</th>'
        '<th>suites</th><th class="num">records</th><th class="num">errors</th><th>target</th>'
        '<th class="num">not_unsafe [95% CI]</th><th class="num">not_overrefuse [95% CI]</th>'
        f"</tr></thead><tbody>{''.join(rows)}</tbody></table>"
        if rows
        else '<p class="note">This store holds no runs yet.</p>'
    )
    body = (
        '<header class="top"><h1>tightrope runs</h1>'
        f'<div class="sub">store {escape(str(store))} · {len(runs)} run(s) · newest first · '
        "open a run for its frontier, categories, attacks, instrument and samples</div></header>"
        f'<section><h2>Runs</h2><div class="samples-wrap" style="max-height:none">{table}'
        "</div></section>"
    )
    return page("tightrope runs", body)


def not_found_html(message: str) -> str:
    """Return a small error page (the message is escaped)."""
    return page(
        "not found",
        f'<nav class="crumbs"><a href="/">← all runs</a></nav><h1>Not found</h1>'
        f'<p class="lead">{escape(message)}</p>',
    )
