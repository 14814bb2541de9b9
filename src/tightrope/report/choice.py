"""The multiple-choice section of every report: accuracy per suite, chance, and BBQ's bias.

Shown only for runs with `choice`-side behaviors (BBQ, WMDP), for the `direct` attack of each
target. Each suite's row gives its accuracy with the Wilson interval, the chance level it is read
against, n and errors (replies that named no option); BBQ adds its accuracy and bias score per
context condition (metrics/bbq.py). The terminal, Markdown, JSON and HTML reports show the same
rows.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape
from typing import Any

from pydantic import BaseModel, ConfigDict
from rich import box
from rich.console import Console
from rich.table import Table

from tightrope.metrics.bbq import BBQScores, Estimate, bbq_scores
from tightrope.metrics.choice import ChoiceTable, choice_tables
from tightrope.metrics.rates import Rate
from tightrope.records import Record

NOTE = (
    "Multiple choice: accuracy = share of items answered with the correct option (Wilson 95% "
    "CI); a reply that names no option is an error, counted apart, never a wrong answer. "
    "chance = the accuracy of a random guess. BBQ bias scores run from -1 (against the "
    "stereotype) to 1 (along it); 0 is unbiased (docs/metrics.md)."
)


class ChoiceSection(BaseModel):
    """One target's multiple-choice rows and, when it answered BBQ, BBQ's figures."""

    model_config = ConfigDict(frozen=True)

    table: ChoiceTable
    bbq: BBQScores | None = None


def choice_sections(records: Sequence[Record], targets: Sequence[str]) -> list[ChoiceSection]:
    """Return one section per target that answered multiple-choice items (attack `direct`)."""
    return [
        ChoiceSection(table=t, bbq=bbq_scores(records, target=t.target, attack=t.attack))
        for t in choice_tables(records, targets)
    ]


def _pct(x: float) -> str:
    return "–" if math.isnan(x) else f"{100 * x:.1f}%"


def _rate_ci(r: Rate) -> str:
    return "–" if r.n == 0 else f"[{100 * r.low:.1f}, {100 * r.high:.1f}]"


def _score(e: Estimate) -> str:
    return "–" if math.isnan(e.value) else f"{e.value:+.3f}"


def _score_ci(e: Estimate) -> str:
    return "–" if math.isnan(e.low) else f"[{e.low:+.3f}, {e.high:+.3f}]"


def _rows(section: ChoiceSection) -> list[tuple[str, str, str, str, str, str]]:
    """Return (row, value, 95% CI, chance, n, err) for every line of a section."""
    out = [
        (
            f"{r.suite} accuracy",
            _pct(r.accuracy.value),
            _rate_ci(r.accuracy),
            _pct(r.chance),
            str(r.accuracy.n),
            str(r.accuracy.errors),
        )
        for r in section.table.rows
    ]
    b = section.bbq
    if b is not None:
        for label, acc in (
            ("bbq accuracy, ambiguous", b.accuracy_ambiguous),
            ("bbq accuracy, disambiguated", b.accuracy_disambiguated),
        ):
            out.append((label, _pct(acc.value), _rate_ci(acc), "", str(acc.n), str(acc.errors)))
        for label, est in (
            ("bbq bias, ambiguous", b.bias_ambiguous),
            ("bbq bias, disambiguated", b.bias_disambiguated),
        ):
            out.append((label, _score(est), _score_ci(est), "", str(est.n), ""))
    return out


COLUMNS = ("", "value", "95% CI", "chance", "n", "err")


def print_choice(console: Console, sections: Sequence[ChoiceSection]) -> None:
    """Print the multiple-choice table of each target."""
    for s in sections:
        t = Table(
            title=f"Multiple choice · {s.table.target}",
            title_justify="left",
            caption=NOTE,
            caption_justify="left",
            box=box.SIMPLE_HEAD,
            pad_edge=False,
        )
        for col in COLUMNS:
            t.add_column(col, no_wrap=True)
        for row in _rows(s):
            t.add_row(*row)
        console.print(t)


def choice_markdown(sections: Sequence[ChoiceSection]) -> list[str]:
    """Return the Markdown lines of the multiple-choice section (none when no section)."""
    if not sections:
        return []
    lines = ["### Multiple choice", "", NOTE, ""]
    for s in sections:
        lines += [f"**{s.table.target}**", "", "| | value | 95% CI | chance | n | err |"]
        lines += ["|---|---|---|---|---|---|"]
        lines += ["| " + " | ".join(row) + " |" for row in _rows(s)]
        lines.append("")
    return lines


def _f(x: float) -> float | None:
    return None if math.isnan(x) else x


def _rate_json(r: Rate) -> dict[str, Any]:
    return {
        "value": _f(r.value),
        "low": _f(r.low),
        "high": _f(r.high),
        "k": r.k,
        "n": r.n,
        "errors": r.errors,
    }


def _estimate_json(e: Estimate) -> dict[str, Any]:
    return {"value": _f(e.value), "low": _f(e.low), "high": _f(e.high), "n": e.n}


def choice_json(sections: Sequence[ChoiceSection]) -> list[dict[str, Any]]:
    """Return the multiple-choice sections as JSON-ready dicts."""
    out = []
    for s in sections:
        item: dict[str, Any] = {
            "target": s.table.target,
            "attack": s.table.attack,
            "suites": [
                {"suite": r.suite, "accuracy": _rate_json(r.accuracy), "chance": r.chance}
                for r in s.table.rows
            ],
        }
        if s.bbq is not None:
            item["bbq"] = {
                "accuracy_ambiguous": _rate_json(s.bbq.accuracy_ambiguous),
                "accuracy_disambiguated": _rate_json(s.bbq.accuracy_disambiguated),
                "bias_ambiguous": _estimate_json(s.bbq.bias_ambiguous),
                "bias_disambiguated": _estimate_json(s.bbq.bias_disambiguated),
            }
        out.append(item)
    return out


def choice_html(sections: Sequence[ChoiceSection]) -> str:
    """Return the HTML of the multiple-choice tables ('' when none)."""
    parts = []
    head = "".join(f"<th>{escape(c)}</th>" for c in COLUMNS)
    for s in sections:
        body = "".join(
            "<tr>" + "".join(f"<td>{escape(cell)}</td>" for cell in row) + "</tr>"
            for row in _rows(s)
        )
        parts.append(
            f"<h3>{escape(s.table.target)}</h3><table class='choice'><thead><tr>{head}</tr>"
            f"</thead><tbody>{body}</tbody></table>"
        )
    return "".join(parts)
