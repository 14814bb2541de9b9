"""The terminal table: not_unsafe and not_overrefuse per category, with n, errors and 95% CIs."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console, Group
from rich.table import Table
from rich.text import Text

from tightrope.judges.card import JudgeCard
from tightrope.metrics.hierarchy import hierarchy_metrics, hierarchy_note
from tightrope.metrics.rates import MetricsTable, Rate, complement
from tightrope.report.unseen_attacks import readable_cards, unseen_attack_note
from tightrope.textsafe import printable


def format_rate(r: Rate) -> str:
    """Return '62.5% [41.0–79.1]' for a rate, or '—' when nothing could be measured."""
    if r.n == 0 or math.isnan(r.value):
        return "—"
    return f"{format_value(r)} [{format_ci(r)}]"


def format_value(r: Rate) -> str:
    """Return the point estimate as a percentage, '62.5%', or '—' when n is 0."""
    return "—" if r.n == 0 else f"{100 * r.value:.1f}%"


def format_ci(r: Rate) -> str:
    """Return the 95% interval in percent, '41.0–79.1', or '' when n is 0."""
    return "" if r.n == 0 else f"{100 * r.low:.1f}–{100 * r.high:.1f}"


def _suites(instrument: Mapping[str, Any]) -> str:
    return ", ".join(
        f"{s['name']}@{s['version']} (sha256 {s['checksum'][:12]}, n={s['n']})"
        for s in instrument.get("suites", [])
    )


def _judge_version(instrument: Mapping[str, Any], name: str) -> str:
    for j in instrument.get("judges", []):
        if j["name"] == name:
            return f"{name} v{j['version']}"
    return name


def _table(table: MetricsTable, *, compact: bool) -> Table:
    """Return the per-category table; `compact` merges each rate with its interval (80 cols)."""
    t = Table(
        title=f"{table.target} · attack {table.attack}",
        caption="harmful side: n, not_unsafe · benign side: n, not_overrefuse"
        + (" · [95% CI]" if compact else "")
        + (
            " · filtered: replies a provider's safety filter stopped (counted as refusals)"
            if any(r.filtered_harmful or r.filtered_benign for r in table.rows)
            else ""
        ),
        caption_justify="left",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        padding=(0, 0) if compact else (0, 1),
    )
    t.add_column("category", no_wrap=True, max_width=20 if compact else 26, overflow="ellipsis")
    # Replies a provider's filter stopped get their own column, shown when there are any.
    filtered = any(r.filtered_harmful or r.filtered_benign for r in table.rows)
    for side, metric in (("red", "not_unsafe"), ("green", "not_overrefuse")):
        t.add_column("n", justify="right", header_style=f"bold {side}", min_width=3, no_wrap=True)
        t.add_column(
            metric,
            justify="right",
            header_style=f"bold {side}",
            no_wrap=True,
        )
        if not compact:
            t.add_column("95% CI", justify="right", no_wrap=True)
        t.add_column("err", justify="right", min_width=3, no_wrap=True)
        if filtered:
            t.add_column("filtered", justify="right", no_wrap=True)
    for row in table.rows:
        label = "all" if row.category == "all" else f"{row.category} {row.name}"
        cells = [label]
        for r, f in (
            (row.not_unsafe, row.filtered_harmful),
            (row.not_overrefuse, row.filtered_benign),
        ):
            cells.append(str(r.n))
            cells += [format_rate(r)] if compact else [format_value(r), format_ci(r)]
            cells.append(str(r.errors))
            if filtered:
                cells.append(str(f))
        t.add_row(
            *cells,
            style="bold" if row.category == "all" else None,
            end_section=len(table.rows) > 1 and row is table.rows[-2],
        )
    return t


def _line(text: str, style: str = "") -> Text:
    """Return a line of the table's footer with what users and plug-ins named made printable."""
    return Text(printable(text), style=style)


def hierarchy_lines(table: MetricsTable) -> list[str]:
    """Return one line per instruction-hierarchy metric of the table (Tensor Trust's hijacking
    and extraction robustness, defense validity; the injection suite's), with n and errors, or
    the reason none is shown."""
    note = hierarchy_note(table)
    if note is not None:
        return [note]
    return [
        f"{m.label}: {format_rate(m.rate)} (n={m.rate.n}, errors {m.rate.errors})"
        for m in hierarchy_metrics(table)
    ]


def metrics_renderable(
    table: MetricsTable,
    instrument: Mapping[str, Any],
    *,
    compact: bool = False,
    cards: Sequence[JudgeCard] | None = None,
) -> Group:
    """Return a rich renderable: the per-category table and the lines that name the instrument
    (with `cards`, default the readable judge cards, for the harm judge's caveat on
    attacks it was not trained on)."""
    t = _table(table, compact=compact)
    overall = table.overall
    lines = [
        _line(
            f"ASR {format_rate(overall.asr).strip()} ({table.asr_basis})"
            + (
                f" · refusal-based ASR {format_rate(complement(overall.refusal_rate)).strip()}"
                if table.harm_judge
                else ""
            )
            + f" · refusal rate on harmful {format_rate(overall.refusal_rate).strip()}"
        ),
        _line(
            f"refusal judge: {_judge_version(instrument, table.refusal_judge)}"
            + (
                f" · harm judge: {_judge_version(instrument, table.harm_judge)}"
                if table.harm_judge
                else ""
            )
        ),
    ]
    unseen = unseen_attack_note(table, instrument, readable_cards() if cards is None else cards)
    if unseen is not None:
        lines.append(_line(unseen, style="yellow"))
    lines += [_line(text, style="bold") for text in hierarchy_lines(table)]
    if table.harm_judge is None and not hierarchy_metrics(table):
        lines.append(
            _line(
                "ASR is refusal-based: no harm judge was configured, so every harmful-side "
                "response that is not a refusal counts as unsafe.",
                style="yellow",
            )
        )
    lines.append(_line(f"suites: {_suites(instrument)}", style="dim"))
    gen = instrument.get("generation", {})
    if gen:
        lines.append(
            _line(
                f"generation: temperature {gen['temperature']}, max_tokens {gen['max_tokens']}, "
                f"seed {gen['seed']} · "
                + (
                    f"choice scoring {instrument['choice_scoring']} · "
                    if instrument.get("choice_scoring")
                    else ""
                )
                + f"tightrope {instrument.get('tightrope_version')}",
                style="dim",
            )
        )
    return Group(t, *lines)


def print_tables(
    console: Console, tables: Sequence[MetricsTable], instrument: Mapping[str, Any]
) -> None:
    """Print every metrics table of a run, one after another."""
    compact = console.width < 104
    cards = readable_cards()
    for i, table in enumerate(tables):
        if i:
            console.print()
        console.print(metrics_renderable(table, instrument, compact=compact, cards=cards))
