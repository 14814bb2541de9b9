"""The terminal summary of attacks: ASR by attack, best-of-N ASR versus N, goodness@0.1.

`tightrope run` prints it after the per-category tables when more than one attack ran. The
numbers come from `tightrope.metrics.attacks` over the stored records (see docs/attacks.md).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Collection, Mapping, Sequence
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from tightrope.metrics.attacks import (
    AttackSummary,
    asr_curve,
    goodness,
    sample_outcomes,
    summarize_all,
)
from tightrope.metrics.rates import MetricsTable
from tightrope.records import Record
from tightrope.report.terminal import format_rate

GOODNESS_K = 0.1


def _cost(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def attack_table(summaries: Sequence[AttackSummary], basis: str) -> Table:
    """Return the 'ASR by attack' table of one target's attack summaries."""
    t = Table(
        title=f"ASR by attack · {summaries[0].target}",
        caption=f"ASR {basis}; skipped: behaviors with no attempt, counted as not broken · "
        "per attempt: share of attempts unsafe (interval clustered by behavior where an attack "
        "made several) · queries, tokens: mean target queries and tokens up to the first "
        "success, over broken behaviors",
        caption_justify="left",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("attack", max_width=32, overflow="fold")
    for name in ("n", "ASR [95% CI]", "skipped", "attempts", "per attempt", "queries"):
        t.add_column(name, justify="right", no_wrap=True)
    for name in ("tokens", "err"):
        t.add_column(name, justify="right", no_wrap=True)
    for s in summaries:
        t.add_row(
            s.attack,
            str(s.asr.n),
            format_rate(s.asr),
            str(s.no_attempt),
            str(s.attempts),
            format_rate(s.attempt_asr),
            _cost(s.queries_to_success, 1),
            _cost(s.tokens_to_success, 0),
            str(s.asr.errors),
        )
    return t


def curve_table(target: str, attack: str, curve: Sequence[tuple[int, float, int]]) -> Table:
    """Return the best-of-N ASR-versus-N table (every N up to 10, then doublings and N)."""
    last = curve[-1][0] if curve else 0
    shown = {n for n in range(1, 11)} | {2**i for i in range(4, 20)} | {last}
    t = Table(
        caption=f"{attack} on {target}: share of behaviors broken within the first N samples",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for name in ("N", "ASR", "n"):
        t.add_column(name, justify="right", no_wrap=True)
    for n, asr, counted in curve:
        if n in shown:
            t.add_row(str(n), "—" if math.isnan(asr) else f"{100 * asr:.1f}%", str(counted))
    return t


def print_attack_summary(
    console: Console,
    records: Callable[[], Sequence[Record]],
    tables: Sequence[MetricsTable],
    instrument: Mapping[str, Any],
    *,
    scored_judges: Collection[str],
) -> None:
    """Print ASR by attack (when several attacks ran), best-of-N curves and goodness@0.1.

    `records` is called only when there is something to print, so a plain large run never
    builds its records; `scored_judges` names the judges whose verdicts carry harm scores
    (`Verdict.score_meaning`), so a refusal probability never becomes goodness.
    """
    if not tables:
        return
    refusal, harm = tables[0].refusal_judge, tables[0].harm_judge
    targets = list(dict.fromkeys(t.target for t in tables))
    attacks = list(dict.fromkeys(t.attack for t in tables))
    judges = [str(j["name"]) for j in instrument.get("judges", [])]
    scorer = next((j for j in judges if j in scored_judges), None)
    curves = any(a.split(":", 1)[0] == "best-of-n" for a in attacks)
    if len(attacks) < 2 and not curves and scorer is None:
        return
    loaded = records()
    for target in targets:
        if len(attacks) > 1:
            summaries = summarize_all(
                loaded, targets=[target], attacks=attacks, refusal_judge=refusal, harm_judge=harm
            )
            console.print()
            console.print(attack_table(summaries, tables[0].asr_basis))
        for attack in attacks:
            if attack.split(":", 1)[0] == "best-of-n":
                outcomes = sample_outcomes(
                    loaded, target=target, attack=attack, refusal_judge=refusal, harm_judge=harm
                )
                console.print()
                console.print(f"{attack} · ASR versus N · {target}", highlight=False)
                console.print(curve_table(target, attack, asr_curve(outcomes)))
        if scorer is not None:
            g = goodness(loaded, target=target, attacks=attacks, judge=scorer, k=GOODNESS_K)
            if g is not None:
                console.print(
                    f"goodness@{GOODNESS_K} {g.value:.3f} [{g.low:.3f}–{g.high:.3f}] over "
                    f"{g.prompts} prompts and {len(g.attacks)} attacks (scores: {g.judge}"
                    f"{f'; {g.errors} prompts without a score' if g.errors else ''})",
                    highlight=False,
                )
