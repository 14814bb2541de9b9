"""Show a comparison: the terminal table, the loud instrument warning, and its JSON form."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.panel import Panel
from rich.table import Table

from tightrope.report.compare import CompareRow, Comparison

ALPHA = 0.05


def _pct(x: float) -> str:
    return "—" if math.isnan(x) else f"{100 * x:.1f}%"


def _pp(x: float) -> str:
    if math.isnan(x):
        return "—"
    v = round(100 * x, 1)
    return f"{v if v else 0.0:+.1f} pp"


def verdict_word(row: CompareRow) -> str:
    """Return 'better' / 'worse' for a significant change in B (both metrics: higher is
    better), 'no sig. change' otherwise, or 'no shared items'.
    """
    p = row.paired
    if p.n == 0:
        return "no shared items"
    if p.p_value < ALPHA and p.diff != 0:
        return "better" if p.diff > 0 else "worse"
    return "no sig. change"


def mismatch_panel(mismatches: Sequence[str], *, allowed: bool) -> Panel:
    """Return the loud warning naming every instrument difference."""
    head = (
        "INSTRUMENTS DIFFER: these runs did not measure the same thing, so their difference "
        "mixes the model change with the instrument change."
    )
    tail = (
        "Compared anyway because of --allow-mismatch."
        if allowed
        else "Refusing to compare; rerun one side on the same instrument, or pass "
        "--allow-mismatch to compare anyway."
    )
    body = "\n".join([head, "", *[f"  • {m}" for m in mismatches], "", tail])
    return Panel(body, title="warning", border_style="bold red", style="bold")


def print_comparison(console: Console, comps: Sequence[Comparison], *, max_flips: int) -> None:
    """Print each comparison's table, then its flipped behaviors (at most `max_flips`)."""
    for i, c in enumerate(comps):
        if i:
            console.print()
        t = Table(
            title=f"A {c.run_a} ({c.target_a})  vs  B {c.run_b} ({c.target_b}) · attack {c.attack}",
            title_justify="left",
            caption="paired on behaviors measured in both runs · B−A with Newcombe 95% CI · "
            f"exact McNemar p · significant when p < {ALPHA}",
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col, justify in (
            ("metric", "left"),
            ("category", "left"),
            ("n", "right"),
            ("A", "right"),
            ("B", "right"),
            ("B−A", "right"),
            ("95% CI", "right"),
            ("A-only / B-only", "right"),
            ("McNemar p", "right"),
            ("change", "left"),
        ):
            t.add_column(col, justify=justify, no_wrap=True)  # type: ignore[arg-type]
        for row in c.rows:
            p = row.paired
            word = verdict_word(row)
            style = {"better": "bold blue", "worse": "bold dark_orange"}.get(word)
            label = "all" if row.category == "all" else f"{row.category} {row.name}"
            t.add_row(
                row.metric,
                label,
                str(p.n),
                _pct(p.rate_a),
                _pct(p.rate_b),
                _pp(p.diff),
                f"{_pp(p.low)} … {_pp(p.high)}" if p.n else "",
                f"{p.a_only} / {p.b_only}",
                f"{p.p_value:.3g}",
                word,
                style=style,
                end_section=row.category == "all",
            )
        console.print(t)
        if c.notes:
            console.print("notes: " + "; ".join(c.notes), style="dim", highlight=False)
        if c.flips:
            console.print(f"\n{len(c.flips)} behaviors flipped (A → B):", highlight=False)
            for f in c.flips[:max_flips]:
                console.print(
                    f"  {f.behavior_id:<16} {f.category:<4} {f.metric:<15} {f.describe()}",
                    highlight=False,
                )
            if len(c.flips) > max_flips:
                console.print(
                    f"  … and {len(c.flips) - max_flips} more (--max-flips N, or --json FILE)",
                    highlight=False,
                )
        else:
            console.print("\nno behavior flipped", highlight=False)


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


def comparison_json(comps: Sequence[Comparison]) -> dict[str, Any]:
    """Return the comparisons as a JSON-ready dict (every row, every flip)."""
    return {
        "format": "tightrope-compare",
        "comparisons": [
            {
                "run_a": c.run_a,
                "run_b": c.run_b,
                "target_a": c.target_a,
                "target_b": c.target_b,
                "attack": c.attack,
                "instrument_mismatches": c.mismatches,
                "notes": c.notes,
                "rows": [
                    {
                        "metric": r.metric,
                        "category": r.category,
                        "n": r.paired.n,
                        "rate_a": _num(r.paired.rate_a),
                        "rate_b": _num(r.paired.rate_b),
                        "diff": _num(r.paired.diff),
                        "low": _num(r.paired.low),
                        "high": _num(r.paired.high),
                        "a_only": r.paired.a_only,
                        "b_only": r.paired.b_only,
                        "both": r.paired.both,
                        "neither": r.paired.neither,
                        "mcnemar_p": r.paired.p_value,
                        "unpaired": r.unpaired,
                        "change": verdict_word(r),
                    }
                    for r in c.rows
                ],
                "flips": [
                    {
                        "behavior_id": f.behavior_id,
                        "category": f.category,
                        "metric": f.metric,
                        "a": f.a,
                        "b": f.b,
                        "change": f.describe(),
                    }
                    for f in c.flips
                ],
            }
            for c in comps
        ],
    }
