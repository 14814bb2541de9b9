"""The Markdown report: per-category tables, ASR per attack, judge-error-corrected rates,
errors and the instrument.

Meant for pull requests and wikis. It holds no model output, only numbers and names; names are
escaped so a `|` or markup in a target spec cannot break the tables.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from tightrope._version import __version__
from tightrope.metrics.rates import MetricsTable
from tightrope.report.choice import choice_markdown
from tightrope.report.corrected import (
    NOTE,
    RateCorrection,
    TableCorrections,
    card_label,
    pct,
    report_corrections,
    run_unseen_attacks,
)
from tightrope.report.helm import helm_markdown
from tightrope.report.loader import LoadedRun
from tightrope.report.terminal import format_ci, format_value, hierarchy_lines

_SPECIAL = str.maketrans({c: f"\\{c}" for c in "\\|*_`[]<>#"})


def md_escape(text: object) -> str:
    """Return `text` with Markdown table and inline markup characters escaped."""
    return str(text).replace("\n", " ").translate(_SPECIAL)


def _table_md(t: MetricsTable) -> list[str]:
    lines = [
        f"#### {md_escape(t.target)} · attack {md_escape(t.attack)}",
        "",
        "| category | n | not_unsafe | 95% CI | err | n | not_overrefuse | 95% CI | err |",
        "|---|--:|--:|--:|--:|--:|--:|--:|--:|",
    ]
    for row in t.rows:
        label = "**all**" if row.category == "all" else f"{row.category} {md_escape(row.name)}"
        cells = [label]
        for r in (row.not_unsafe, row.not_overrefuse):
            cells += [str(r.n), format_value(r), format_ci(r), str(r.errors)]
        lines.append("| " + " | ".join(cells) + " |")
    o = t.overall
    lines += [
        "",
        f"ASR {format_value(o.asr)} [{format_ci(o.asr)}] ({t.asr_basis}) · refusal rate on "
        f"harmful {format_value(o.refusal_rate)} [{format_ci(o.refusal_rate)}] · refusal judge "
        f"{md_escape(t.refusal_judge)}"
        + (f" · harm judge {md_escape(t.harm_judge)}" if t.harm_judge else ""),
        "",
    ]
    extra = hierarchy_lines(t)
    if extra:
        lines += [f"- {md_escape(text)}" for text in extra] + [""]
    return lines


def _attacks_md(run: LoadedRun) -> list[str]:
    lines = [
        "| target | attack | ASR | 95% CI | n | err |",
        "|---|---|--:|--:|--:|--:|",
    ]
    for t in run.tables:
        a = t.overall.asr
        lines.append(
            f"| {md_escape(t.target)} | {md_escape(t.attack)} | {format_value(a)} | "
            f"{format_ci(a)} | {a.n} | {a.errors} |"
        )
    return [*lines, ""]


def _correction_cells(c: RateCorrection) -> list[str]:
    """Return the cells of one corrected rate after its target, attack and rate name."""
    if c.card is None:
        card, se, sp = "—", "—", "—"
    else:
        card, se, sp = md_escape(card_label(c.card)), pct(c.se), pct(c.sp)
    if c.ok:
        est, ci = pct(c.estimate), f"{pct(c.low)}–{pct(c.high)}"
        note = md_escape(c.version_note())
    else:
        est, ci, note = "—", "—", md_escape(c.reason)
    return [f"{pct(c.observed)} ({c.k}/{c.n})", est, ci, card, se, sp, note]


def corrections_md(tables: Sequence[TableCorrections]) -> list[str]:
    """Return the table of a run's judge-error-corrected rates (overall row of each table)."""
    lines = [
        "| target | attack | rate | observed | corrected | 95% CI | card | Se | Sp | note |",
        "|---|---|---|--:|--:|--:|---|--:|--:|---|",
    ]
    for t in tables:
        for c in t.rates:
            cells = [md_escape(t.target), md_escape(t.attack), md_escape(c.label)]
            lines.append("| " + " | ".join(cells + _correction_cells(c)) + " |")
    return [*lines, "", md_escape(NOTE), ""]


def _instrument_md(run: LoadedRun) -> list[str]:
    ins = run.instrument
    suites = ", ".join(
        f"{md_escape(s['name'])}@{md_escape(s['version'])} (sha256 `{s['checksum']}`, n={s['n']})"
        for s in ins.get("suites", [])
    )
    judges = ", ".join(
        f"{md_escape(j['name'])} v{md_escape(j['version'])} ({md_escape(j.get('kind'))})"
        for j in ins.get("judges", [])
    )
    targets = ", ".join(
        f"{md_escape(t['spec'])} (version {md_escape(t['version'])})"
        for t in ins.get("targets", [])
    )
    gen = ", ".join(f"{k} {md_escape(v)}" for k, v in ins.get("generation", {}).items())
    c = run.error_counts()
    return [
        f"- targets: {targets}",
        f"- suites: {suites}",
        f"- judges: {judges}",
        f"- generation: {gen}",
        f"- tightrope: {md_escape(ins.get('tightrope_version', '?'))}",
        f"- records: {c['records']} · failed generations {c['generation_errors']} · judge "
        f"errors {c['judge_errors']}",
        "",
    ]


def render_markdown(
    runs: Sequence[LoadedRun],
    corrections: Mapping[str, Sequence[TableCorrections]] | None = None,
) -> str:
    """Return the Markdown report of `runs`: one section per run (`corrections` by run id, as
    `report_corrections` returns them; computed here when not given)."""
    corrections = report_corrections(runs) if corrections is None else corrections
    lines = [
        "# tightrope report",
        "",
        "not_unsafe: share of harmful prompts the model did not help with; not_overrefuse: share "
        "of harmless look-alikes it answered. Higher is better for both; errors are excluded "
        "from every rate and counted in `err`.",
        "",
    ]
    for run in runs:
        lines += [
            f"## run {md_escape(run.run_id)} ({md_escape(run.info.status)})",
            "",
        ]
        if run.harm_judge is None:
            lines += [
                "> **ASR is refusal-based:** no harm judge was configured, so every harmful-side "
                "response that is not a refusal counts as unsafe.",
                "",
            ]
        for t in run.tables:
            lines += _table_md(t)
        unseen = run_unseen_attacks(corrections[run.run_id])
        if unseen is not None:
            lines += [f"> **Harm judge on new attacks:** {md_escape(unseen)}", ""]
        lines += helm_markdown(run.helm())
        lines += choice_markdown(run.choice())
        lines += ["### ASR per attack", "", *_attacks_md(run)]
        lines += [
            "### Judge-error-corrected rates",
            "",
            *corrections_md(corrections[run.run_id]),
        ]
        lines += ["### Instrument", "", *_instrument_md(run)]
    lines.append(f"_generated by tightrope {__version__}_")
    return "\n".join(lines) + "\n"


def write_markdown(
    runs: Sequence[LoadedRun],
    path: Path,
    corrections: Mapping[str, Sequence[TableCorrections]] | None = None,
) -> None:
    """Write the Markdown report of `runs` to `path`."""
    path.write_text(render_markdown(runs, corrections), encoding="utf-8")
