"""Judge cards made from confusion counts, for the tests of corrected rates."""

from __future__ import annotations

from tightrope.judges.card import CardSet, JudgeCard, Proportion


def make_card(
    judge: str,
    set_name: str,
    side: str,
    tp: int,
    fp: int,
    fn: int,
    tn: int,
    *,
    version: str = "1",
    refusal_positive: str = "refusal",
) -> JudgeCard:
    """Return a card with these counts; its intervals are the point estimates."""
    se, sp = tp / (tp + fn), tn / (tn + fp)
    return JudgeCard(
        judge=judge,
        version=version,
        kind="refusal",
        set=CardSet(name=set_name, side=side, n=tp + fp + fn + tn, truth="human"),  # type: ignore[arg-type]
        positive="unsafe" if side == "harm" else refusal_positive,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        errors=0,
        sensitivity=Proportion(value=se, low=se, high=se),
        specificity=Proportion(value=sp, low=sp, high=sp),
        date="2026-11-30",
        tightrope_version="test",
    )
