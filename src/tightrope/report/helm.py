"""The HELM section of every report: HELM Safety's per-benchmark scores and their mean.

Shown only for runs that hold at least one of HELM Safety's five benchmarks (metrics/helm.py
says how each score is computed), for the `direct` attack of each target: HELM scores the
plain prompts. The terminal, Markdown, JSON and HTML reports show the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from tightrope.metrics.helm import BENCHMARKS, HelmTable, helm_table
from tightrope.records import Record

NOTE = (
    "HELM Safety score: per benchmark the mean safety value in [0, 1] (1 best) as HELM defines "
    "it, over behaviors; mean = the plain mean of the benchmark scores present. Judges are this "
    "run's, not HELM's (GPT-4o and Llama 3.1 405B, rule mean): compare with HELM's figures with "
    "that in mind (docs/datasets.md, 'HELM Safety')."
)


def helm_tables(
    records: Sequence[Record],
    targets: Sequence[str],
    *,
    refusal_judge: str,
    harm_judge: str | None,
) -> list[HelmTable]:
    """Return one HELM table per target (attack `direct`) that ran a HELM benchmark."""
    out = []
    for t in targets:
        table = helm_table(records, target=t, refusal_judge=refusal_judge, harm_judge=harm_judge)
        if table is not None:
            out.append(table)
    return out


def _num(x: float) -> str:
    return "–" if math.isnan(x) else f"{x:.3f}"


def _ci(low: float, high: float) -> str:
    return "–" if math.isnan(low) else f"[{low:.3f}, {high:.3f}]"


def _mean_label(t: HelmTable) -> str:
    return "mean" if t.complete else f"mean of {len(t.rows)} (HELM: 5)"


def print_helm(console: Console, tables: Sequence[HelmTable]) -> None:
    """Print the HELM Safety table of each target."""
    for ht in tables:
        t = Table(
            title=f"HELM Safety · {ht.target}",
            title_justify="left",
            caption=NOTE,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in ("benchmark", "score", "95% CI", "n", "err", "basis"):
            t.add_column(col, no_wrap=col != "basis")
        for r in ht.rows:
            t.add_row(r.name, _num(r.score), _ci(r.low, r.high), str(r.n), str(r.errors), r.basis)
        t.add_row(_mean_label(ht), _num(ht.mean), _ci(ht.low, ht.high), "", "", "", style="bold")
        console.print(t)


def helm_markdown(tables: Sequence[HelmTable]) -> list[str]:
    """Return the Markdown lines of the HELM section (none when no table)."""
    if not tables:
        return []
    lines = ["### HELM Safety", "", NOTE, ""]
    for ht in tables:
        lines += [
            f"**{ht.target}**",
            "",
            "| benchmark | score | 95% CI | n | err | basis |",
            "|---|---|---|---|---|---|",
        ]
        lines += [
            f"| {r.name} | {_num(r.score)} | {_ci(r.low, r.high)} | {r.n} | {r.errors} | "
            f"{r.basis} |"
            for r in ht.rows
        ]
        lines += [f"| **{_mean_label(ht)}** | **{_num(ht.mean)}** | {_ci(ht.low, ht.high)} | | | |"]
        lines.append("")
    return lines


def _f(x: float) -> float | None:
    return None if math.isnan(x) else x


def helm_json(tables: Sequence[HelmTable]) -> list[dict[str, Any]]:
    """Return the HELM tables as JSON-ready dicts."""
    return [
        {
            "target": t.target,
            "attack": t.attack,
            "mean": _f(t.mean),
            "low": _f(t.low),
            "high": _f(t.high),
            "complete": t.complete,
            "benchmarks": [
                {
                    "benchmark": r.benchmark,
                    "name": r.name,
                    "score": _f(r.score),
                    "low": _f(r.low),
                    "high": _f(r.high),
                    "n": r.n,
                    "errors": r.errors,
                    "basis": r.basis,
                }
                for r in t.rows
            ],
        }
        for t in tables
    ]


def helm_html(tables: Sequence[HelmTable]) -> str:
    """Return the HTML of the HELM section's tables ('' when none)."""
    parts = []
    for ht in tables:
        rows = "".join(
            f"<tr><td>{escape(r.name)}</td><td>{_num(r.score)}</td>"
            f"<td>{_ci(r.low, r.high)}</td><td>{r.n}</td><td>{r.errors}</td>"
            f"<td>{escape(r.basis)}</td></tr>"
            for r in ht.rows
        )
        mean = (
            f"<tr class='total'><th>{escape(_mean_label(ht))}</th><th>{_num(ht.mean)}</th>"
            f"<td>{_ci(ht.low, ht.high)}</td><td></td><td></td><td></td></tr>"
        )
        parts.append(
            f"<h3>{escape(ht.target)}</h3><table class='helm'><thead><tr><th>benchmark</th>"
            "<th>score</th><th>95% CI</th><th>n</th><th>err</th><th>basis</th></tr></thead>"
            f"<tbody>{rows}{mean}</tbody></table>"
        )
    return "".join(parts)


BENCHMARK_KEYS = tuple(b for b, _ in BENCHMARKS)


def print_helm_compare(console: Console, a: HelmTable, b: HelmTable) -> None:
    """Print the HELM scores of two runs side by side, with B − A (point estimates; each run's
    own interval is in its report)."""
    t = Table(
        title=f"HELM Safety · A {a.target} vs B {b.target}",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("benchmark", "A", "B", "B − A"):
        t.add_column(col, no_wrap=True)
    rows_a = {r.benchmark: r for r in a.rows}
    rows_b = {r.benchmark: r for r in b.rows}
    for bench, name in BENCHMARKS:
        ra, rb = rows_a.get(bench), rows_b.get(bench)
        if ra is None and rb is None:
            continue
        sa = ra.score if ra else math.nan
        sb = rb.score if rb else math.nan
        t.add_row(name, _num(sa), _num(sb), _num(sb - sa))
    t.add_row("mean", _num(a.mean), _num(b.mean), _num(b.mean - a.mean), style="bold")
    console.print(t)
