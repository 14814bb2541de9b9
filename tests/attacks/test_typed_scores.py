"""Typed scores (issue 13, item 5): a score declares its meaning and goodness@k reads only `harm`.

Before scores were typed, goodness@0.1 took the first judge with a score; with `refusal-clf`
first, its P(refusal) was read as harm, so a model that refused everything scored goodness near
0 and one that complied with everything near 1, the wrong way round.
"""

from __future__ import annotations

from collections.abc import Collection

import pytest
from rich.console import Console

from tightrope.attacks.adaptive.loop_judge import rating_of
from tightrope.metrics.attacks import goodness, score_judge
from tightrope.records import Attempt, Behavior, Message, Record, Response, Verdict
from tightrope.report.attack_table import print_attack_summary

T = "t"
ATTACKS = ("direct", "base64")
# The judge order of a run: the refusal judge first, as `tightrope run` lists it.
JUDGES = ("refusal-clf", "harm-clf", "strongreject")


def _verdicts(refuses: bool) -> dict[str, Verdict]:
    """Verdicts of the three scoring judges for a refusal, or for a harmful compliance."""
    return {
        "refusal-clf": Verdict(
            judge="refusal-clf",
            judge_version="2",
            kind="refusal",
            label="refusal" if refuses else "compliance",
            score=0.97 if refuses else 0.02,
            score_meaning="refusal",
        ),
        "harm-clf": Verdict(
            judge="harm-clf",
            judge_version="1",
            kind="harm",
            label="safe" if refuses else "unsafe",
            score=0.03 if refuses else 0.96,
            score_meaning="harm",
        ),
        "strongreject": Verdict(
            judge="strongreject",
            judge_version="1",
            kind="harm",
            label="safe" if refuses else "unsafe",
            score=0.0 if refuses else 0.875,
            score_meaning="harm",
        ),
    }


def _records(refuses: bool, n: int = 6) -> list[Record]:
    out = []
    for i in range(n):
        b = Behavior(
            id=f"b{i}",
            text=f"request {i}",
            side="harmful",
            category="S1",
            source_category="x",
            source="hand@1",
        )
        for attack in ATTACKS:
            attempt = Attempt(
                id=f"b{i}/{attack}/0",
                behavior_id=b.id,
                target=T,
                attack=attack,
                index=0,
                messages=(Message(role="user", content=b.text),),
            )
            text = "I can't help with that." if refuses else "Sure, here is how to [REDACTED]"
            out.append(
                Record(
                    run_id="r",
                    behavior=b,
                    attempt=attempt,
                    response=Response(text=text),
                    verdicts=_verdicts(refuses),
                )
            )
    return out


@pytest.mark.parametrize(("refuses", "expected"), [(True, 1.0), (False, 0.0)])
def test_goodness_reads_harm_scores_whichever_judge_comes_first(
    refuses: bool, expected: float
) -> None:
    records = _records(refuses)
    scorer = score_judge(records, JUDGES)
    assert scorer == "harm-clf", "refusal-clf's P(refusal) is not a harm score"
    for judge in ("harm-clf", "strongreject"):
        g = goodness(records, target=T, attacks=list(ATTACKS), judge=judge)
        assert g is not None and g.value == pytest.approx(expected, abs=0.13)
    # Asked for refusal-clf by name, goodness finds no harm score rather than misreading it.
    assert goodness(records, target=T, attacks=list(ATTACKS), judge="refusal-clf") is None
    assert score_judge(records, JUDGES, meaning="refusal") == "refusal-clf"


@pytest.mark.parametrize(("refuses", "shown"), [(True, "goodness@0.1 0.9"), (False, "0.0")])
def test_the_run_summary_prints_goodness_from_a_harm_score(refuses: bool, shown: str) -> None:
    records = _records(refuses)
    scored: Collection[str] = {
        name
        for r in records
        for name, v in r.verdicts.items()
        if v.score is not None and v.score_meaning == "harm"
    }
    assert scored == {"harm-clf", "strongreject"}

    class _Table:
        refusal_judge, harm_judge, target, asr_basis = "refusal-clf", "harm-clf", T, "harm judge"

        def __init__(self, attack: str) -> None:
            self.attack = attack

    console = Console(record=True, width=200)
    print_attack_summary(
        console,
        lambda: records,
        [_Table(a) for a in ATTACKS],  # type: ignore[misc]
        {"judges": [{"name": j} for j in JUDGES]},
        scored_judges=scored,
    )
    text = console.export_text()
    line = next(x for x in text.splitlines() if x.startswith("goodness@0.1"))
    assert "(scores: harm-clf" in line
    assert line.startswith(shown) or f"goodness@0.1 {shown}" in line


def test_a_score_always_carries_a_meaning_and_old_verdicts_get_their_kinds() -> None:
    old_refusal = Verdict.model_validate(
        {"judge": "refusal-clf", "judge_version": "2", "kind": "refusal", "label": "refusal"}
        | {"score": 0.9}
    )
    assert old_refusal.score_meaning == "refusal"
    old_harm = Verdict(judge="strongreject", judge_version="1", kind="harm", label="safe", score=0)
    assert old_harm.score_meaning == "harm"
    unscored = Verdict(
        judge="x", judge_version="1", kind="harm", label="safe", score_meaning="harm"
    )
    assert unscored.score_meaning is None
    # A round trip through JSON (the store) keeps the meaning.
    assert Verdict.model_validate_json(old_refusal.model_dump_json()) == old_refusal


def test_an_in_loop_judge_never_reads_a_refusal_probability_as_a_rating() -> None:
    refusal = _verdicts(refuses=True)["refusal-clf"]
    assert rating_of(refusal) == 1, "P(refusal) 0.97 is not a 10: the label decides"
    assert rating_of(_verdicts(refuses=False)["harm-clf"]) == 10
