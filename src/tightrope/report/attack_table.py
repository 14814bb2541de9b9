"""The terminal summary of attacks: ASR by attack (with budget and cost per success), ASR by
variant (pap, human-jailbreaks, translate), ASR versus N (best-of-N, past-tense), goodness@0.1.

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
    asr_by_variant,
    asr_curve,
    goodness,
    sample_outcomes,
    summarize_all,
)
from tightrope.metrics.rates import MetricsTable, Rate
from tightrope.records import Record
from tightrope.report.terminal import format_rate

GOODNESS_K = 0.1
# Attacks whose samples give an ASR-versus-N curve, and those whose attempts record a variant.
CURVE_ATTACKS = {"best-of-n", "past-tense"}
VARIANT_ATTACKS = {"pap", "human-jailbreaks", "translate"}


def _cost(value: float | None, digits: int) -> str:
    return "—" if value is None else f"{value:,.{digits}f}"


def attack_table(summaries: Sequence[AttackSummary], basis: str) -> Table:
    """Return the 'ASR by attack' table of one target's attack summaries."""
    t = Table(
        title=f"ASR by attack · {summaries[0].target}",
        caption=f"ASR {basis}; skipped: behaviors with no attempt, counted as not broken · "
        "per attempt: share of attempts unsafe (interval clustered by behavior where an attack "
        "made several) · queries, tokens: mean target queries and tokens up to the first "
        "success, over broken behaviors · budget: most target queries per behavior the attack "
        "allows; spent: mean it made · $/success: cost of all the attack's target queries per "
        "broken behavior (target calls only; attacker and judge costs are listed per model)",
        caption_justify="left",
        title_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("attack", max_width=32, overflow="fold")
    for name in ("n", "ASR [95% CI]", "skipped", "attempts", "per attempt", "queries"):
        t.add_column(name, justify="right", no_wrap=True)
    for name in ("tokens", "budget", "spent", "$/success", "err"):
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
            "—" if s.budget is None else str(s.budget),
            _cost(s.queries_per_behavior, 1),
            "—" if s.cost_per_success is None else f"${s.cost_per_success:,.4f}",
            str(s.asr.errors),
        )
    return t


def target_prices(targets: Sequence[str]) -> dict[str, tuple[float, float]]:
    """Return each target's price (USD per million input, output tokens) where it has one:
    local backends cost nothing; a remote model missing from the price table has none."""
    from tightrope.run.pricing import load_prices, model_name

    prices = load_prices()
    out: dict[str, tuple[float, float]] = {}
    for spec in targets:
        name = model_name(spec)
        if name is None:
            out[spec] = (0.0, 0.0)
        elif name in prices:
            out[spec] = prices[name]
    return out


def variant_table(target: str, attack: str, rows: Sequence[tuple[str, Rate]]) -> Table:
    """Return ASR per variant (technique, template or language) of one attack on one target."""
    t = Table(
        caption=f"{attack} on {target}: a behavior is broken under a variant when any attempt "
        "with it is unsafe"
        + (
            "; judges read each answer translated back into English"
            if attack.split(":", 1)[0] == "translate"
            else ""
        ),
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    t.add_column("variant", max_width=40, overflow="fold")
    for name in ("n", "ASR [95% CI]", "err"):
        t.add_column(name, justify="right", no_wrap=True)
    for variant, r in rows:
        t.add_row(variant, str(r.n), format_rate(r), str(r.errors))
    return t


def curve_table(target: str, attack: str, curve: Sequence[tuple[int, float, int]]) -> Table:
    """Return the ASR-versus-N table (every N up to 10, then doublings and N)."""
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
    bases = {a.split(":", 1)[0] for a in attacks}
    curves = bool(bases & CURVE_ATTACKS)
    variants = bool(bases & VARIANT_ATTACKS)
    if len(attacks) < 2 and not curves and not variants and scorer is None:
        return
    loaded = records()
    prices = target_prices(targets)
    for target in targets:
        if len(attacks) > 1:
            summaries = summarize_all(
                loaded,
                targets=[target],
                attacks=attacks,
                refusal_judge=refusal,
                harm_judge=harm,
                prices=prices,
            )
            console.print()
            console.print(attack_table(summaries, tables[0].asr_basis))
        for attack in attacks:
            if attack.split(":", 1)[0] in VARIANT_ATTACKS:
                rows = asr_by_variant(
                    loaded, target=target, attack=attack, refusal_judge=refusal, harm_judge=harm
                )
                if rows:
                    console.print()
                    console.print(f"{attack} · ASR by variant · {target}", highlight=False)
                    console.print(variant_table(target, attack, rows))
            if attack.split(":", 1)[0] in CURVE_ATTACKS:
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
