"""The caveat beside an ASR measured under an attack: how the harm judge reads attacks it never saw.

A learned harm judge knows the attack methods it was trained on. Where its card carries
leave-one-source-out figures (`held_out_by_source`: trained without one attack method's
responses, tested on them; harm-clf's card has them), a table of a run with an attack (any
attack but `direct`) gets one line saying how far the judge's sensitivity and specificity ranged
on attacks it had not seen, so that its ASR, and a correction that assumes the card's error
rates, are read with that in mind. The terminal table, the HTML report and the Markdown report
print the same line; the JSON report has it as `harm_judge_on_new_attacks`. The report files get
it with the judge-error-corrected rates (`report.corrected`, from the same cards, once).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from tightrope.errors import InputError
from tightrope.judges.card import JudgeCard, find_card, load_cards
from tightrope.metrics.rates import MetricsTable

DIRECT = "direct"


def readable_cards() -> list[JudgeCard]:
    """Return the judge cards `load_cards()` finds, or none where a card file is not valid (the
    caveat is not worth failing a run's table for; `tightrope judges` names the bad file)."""
    try:
        return load_cards()
    except InputError:
        return []


def run_judge_version(judge: str, instrument: Mapping[str, Any]) -> str | None:
    """Return the version of `judge` a run's instrument records, or None where it names none
    (a card describes one version; a run's figures come from the version it used)."""
    return next(
        (str(j["version"]) for j in instrument.get("judges", []) if j.get("name") == judge),
        None,
    )


def unseen_attack_note(
    table: MetricsTable, instrument: Mapping[str, Any], cards: Sequence[JudgeCard]
) -> str | None:
    """Return the caveat for a table whose ASR a harm judge decided under an attack, or None:
    no attack, no harm judge, no card with leave-one-source-out figures, or a card of another
    judge version than the run used (its figures would describe another judge)."""
    judge = table.harm_judge
    if judge is None or table.attack == DIRECT:
        return None
    card = find_card(list(cards), judge, "harm")
    if card is None:
        return None
    groups = [h for h in card.held_out_by_source if h.group != "all"]
    se = [h.sensitivity.value for h in groups if h.sensitivity is not None]
    sp = [h.specificity.value for h in groups if h.specificity is not None]
    if not se or not sp:
        return None
    if run_judge_version(judge, instrument) not in (None, card.version):
        return None
    return (
        f"{judge} on attack methods it was not trained on (leave-one-source-out, its card): "
        f"sensitivity {_range(se)}, specificity {_range(sp)}; under an attack it has not seen, "
        "this ASR (and its correction) may be far off: compare an LLM judge (--judge) or check "
        "a sample by hand"
    )


def _range(values: Sequence[float]) -> str:
    low, high = min(values), max(values)
    return f"{100 * low:.1f}%" if low == high else f"{100 * low:.1f}%–{100 * high:.1f}%"
