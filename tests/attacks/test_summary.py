"""Attack metrics on hand-made records: ASR per attack, cost per success, goodness@0.1."""

import math

import pytest

from tightrope.metrics.attacks import asr_curve, goodness, sample_outcomes, score_judge, summarize
from tightrope.metrics.intervals import cluster_bootstrap_interval, wilson_interval
from tightrope.records import Attempt, Behavior, Message, Record, Response, Usage, Verdict

T = "t"
HARM = "harm"


def _b(i: int, category: str = "S1", side: str = "harmful") -> Behavior:
    return Behavior(
        id=f"b{i}",
        text=f"request {i}",
        side=side,  # type: ignore[arg-type]
        category=category,
        source_category="x",
        source="hand@1",
    )


def _r(
    b: Behavior,
    attack: str,
    index: int,
    label: str | None,
    *,
    score: float | None = None,
    tokens: tuple[int, int] = (10, 5),
    failed: bool = False,
) -> Record:
    attempt = Attempt(
        id=f"{b.id}/{attack}/{index}",
        behavior_id=b.id,
        target=T,
        attack=attack,
        attack_params={"failed": "attacker"} if failed else {},
        index=index,
        messages=(Message(role="user", content=f"{b.text} #{index}"),),
    )
    if label is None:
        return Record(run_id="r", behavior=b, attempt=attempt, response=Response(error="boom"))
    verdict = Verdict(
        judge=HARM,
        judge_version="1",
        kind="harm",
        label=label,
        score=score,  # type: ignore[arg-type]
    )
    return Record(
        run_id="r",
        behavior=b,
        attempt=attempt,
        response=Response(
            text="[placeholder]", usage=Usage(prompt_tokens=tokens[0], completion_tokens=tokens[1])
        ),
        verdicts={HARM: verdict},
    )


def _sum(records: list[Record], attack: str):  # type: ignore[no-untyped-def]
    return summarize(records, target=T, attack=attack, refusal_judge="none", harm_judge=HARM)


def test_asr_counts_behaviors_without_an_attempt_as_not_broken() -> None:
    bs = [_b(i, "S1" if i < 2 else "S2") for i in range(4)]
    records = [_r(b, "direct", 0, "safe") for b in bs]
    records += [_r(bs[0], "xfer", 0, "unsafe"), _r(bs[1], "xfer", 0, "safe")]
    records.append(_r(_b(9, side="benign"), "xfer", 0, "unsafe"))  # benign: never counted
    s = _sum(records, "xfer")
    assert (s.asr.k, s.asr.n, s.asr.errors, s.no_attempt) == (1, 4, 0, 2)
    assert (s.asr.low, s.asr.high) == wilson_interval(1, 4)
    assert dict(s.categories)["S1"].k == 1 and dict(s.categories)["S2"].n == 2
    assert not s.clustered and (s.attempt_asr.low, s.attempt_asr.high) == wilson_interval(1, 2)


def test_several_attempts_use_the_clustered_interval_and_cost_to_first_success() -> None:
    bs = [_b(i) for i in range(3)]
    records = [_r(b, "direct", 0, "safe") for b in bs]
    # b0: broken at its third query (a failed attacker call in between is not a query).
    records += [
        _r(bs[0], "pair", 0, "safe", tokens=(100, 10)),
        _r(bs[0], "pair", 1, None, failed=True),
        _r(bs[0], "pair", 1, "safe", tokens=(200, 20)),
        _r(bs[0], "pair", 2, "unsafe", tokens=(300, 30)),
        _r(bs[0], "pair", 3, "unsafe", tokens=(999, 99)),
    ]
    # b1: broken at the first query; b2: never broken, one errored query.
    records += [_r(bs[1], "pair", 0, "unsafe", tokens=(50, 5)), _r(bs[1], "pair", 1, "safe")]
    records += [_r(bs[2], "pair", 0, "safe"), _r(bs[2], "pair", 1, None)]
    s = _sum(records, "pair")
    assert (s.asr.k, s.asr.n, s.asr.errors) == (2, 2, 1), "b2 has an error and no success"
    assert s.attempts == 9 and (s.attempt_asr.k, s.attempt_asr.n, s.attempt_asr.errors) == (3, 7, 2)
    assert s.clustered
    clusters = [[0.0, 0.0, 1.0, 1.0], [1.0, 0.0], [0.0]]
    assert (s.attempt_asr.low, s.attempt_asr.high) == cluster_bootstrap_interval(clusters)
    assert s.queries_to_success == pytest.approx((3 + 1) / 2)
    assert s.tokens_to_success == pytest.approx(((110 + 220 + 330) + 55) / 2)


def test_no_success_gives_no_cost() -> None:
    b = _b(0)
    s = _sum([_r(b, "direct", 0, "safe"), _r(b, "x", 0, "safe")], "x")
    assert s.asr.k == 0 and s.queries_to_success is None and s.tokens_to_success is None


def test_goodness_at_0_1() -> None:
    bs = [_b(i) for i in range(2)]
    attacks = [f"a{j}" for j in range(11)]
    records = []
    # b0: the 11 attacks score 0.0, 0.1, ..., 1.0; ceil(0.1 x 11) = 2 worst: 1.0 and 0.9.
    for j, a in enumerate(attacks):
        records.append(_r(bs[0], a, 0, "unsafe" if j else "safe", score=j / 10))
    # b1: a0 has two attempts (its best counts: 0.6); a1 has none (scores 0); the rest 0.2.
    records += [_r(bs[1], "a0", 0, "safe", score=0.1), _r(bs[1], "a0", 1, "unsafe", score=0.6)]
    records += [_r(bs[1], a, 0, "safe", score=0.2) for a in attacks[2:]]
    g = goodness(records, target=T, attacks=attacks, judge=HARM, k=0.1)
    assert g is not None and g.prompts == 2 and g.errors == 0
    worst_b0 = (1.0 + 0.9) / 2
    worst_b1 = (0.6 + 0.2) / 2
    assert g.value == pytest.approx(1 - (worst_b0 + worst_b1) / 2)
    assert g.low <= g.value <= g.high
    assert score_judge(records, ["refusal", HARM]) == HARM
    assert score_judge(records, ["refusal"]) is None


def test_goodness_skips_unscored_prompts_and_is_none_without_scores() -> None:
    b0, b1 = _b(0), _b(1)
    records = [_r(b0, "a", 0, "safe", score=0.25), _r(b1, "a", 0, None)]
    g = goodness(records, target=T, attacks=["a"], judge=HARM)
    assert g is not None and g.prompts == 1 and g.errors == 1
    assert g.value == pytest.approx(0.75)
    assert goodness([_r(b0, "a", 0, "safe")], target=T, attacks=["a"], judge=HARM) is None


def test_sample_outcomes_feed_the_best_of_n_curve() -> None:
    b0, b1 = _b(0), _b(1)
    records = [
        _r(b0, "bon", 1, "unsafe"),
        _r(b0, "bon", 0, "safe"),
        _r(b1, "bon", 0, "safe"),
        _r(b1, "bon", 1, None),
    ]
    out = sample_outcomes(records, target=T, attack="bon", refusal_judge="none", harm_judge=HARM)
    assert out == {"b0": [False, True], "b1": [False, None]}
    curve = asr_curve(out)
    assert curve[0] == (1, 0.0, 2)
    assert curve[1][0] == 2 and curve[1][2] == 1 and curve[1][1] == 1.0
    assert not math.isnan(curve[1][1])


def test_asr_curve_counts_any_success_within_n() -> None:
    curve = asr_curve({"a": [False, True, False], "b": [False, False, False], "c": [None, True]})
    assert curve[0] == (1, 0.0, 2)  # c's first sample is an error: not counted at n=1
    assert curve[1] == (2, 2 / 3, 3)
    assert curve[2] == (3, 2 / 3, 3)


def test_asr_curve_collapses_like_asr_per_attack() -> None:
    # b0 broken at its second sample; b1 safe then errored: an error at n=2, as in `summarize`.
    bs = [_b(0), _b(1)]
    records = [_r(bs[0], "bon", 0, "safe"), _r(bs[0], "bon", 1, "unsafe")]
    records += [_r(bs[1], "bon", 0, "safe"), _r(bs[1], "bon", 1, None)]
    s = _sum(records, "bon")
    out = sample_outcomes(records, target=T, attack="bon", refusal_judge="none", harm_judge=HARM)
    n, asr, counted = asr_curve(out)[-1]
    assert (n, asr * counted, counted) == (2, s.asr.k, s.asr.n)
    assert s.asr.errors == 1


def test_goodness_interval_is_the_prompt_bootstrap_computed_once_per_scores(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from tightrope.metrics import attacks as attack_metrics

    calls: list[int] = []

    def counting(clusters: list[list[float]]) -> tuple[float, float]:
        calls.append(len(clusters))
        return cluster_bootstrap_interval(clusters)

    monkeypatch.setattr(attack_metrics, "cluster_bootstrap_interval", counting)
    attack_metrics._prompt_interval.cache_clear()
    bs = [_b(i) for i in range(5)]
    records = [_r(b, "a", 0, "safe", score=i / 7) for i, b in enumerate(bs)]
    first = goodness(records, target=T, attacks=["a"], judge=HARM)
    again = goodness(records, target=T, attacks=["a"], judge=HARM)
    assert first is not None and first == again and calls == [5]
    lo, hi = cluster_bootstrap_interval([[1 - i / 7] for i in range(5)])
    assert (first.low, first.high) == pytest.approx((lo, hi))
    attack_metrics._prompt_interval.cache_clear()


def _with(r: Record, **params: object) -> Record:
    attempt = r.attempt.model_copy(update={"attack_params": {**r.attempt.attack_params, **params}})
    return r.model_copy(update={"attempt": attempt})


def test_budget_spent_and_cost_per_success() -> None:
    b0, b1, b2 = _b(0), _b(1), _b(2)
    records = [
        _with(_r(b0, "crescendo", 0, "safe", tokens=(100, 50)), budget=4),
        _with(_r(b0, "crescendo", 1, "unsafe", tokens=(300, 50)), budget=4),
        _with(_r(b1, "crescendo", 0, "safe", tokens=(100, 50)), budget=4),
        _with(_r(b1, "crescendo", 1, "safe", tokens=(300, 50)), budget=4),
        _with(_r(b1, "crescendo", 2, "safe", tokens=(500, 50)), budget=4),
        _r(b2, "direct", 0, "safe"),
    ]
    s = summarize(
        records, target=T, attack="crescendo", refusal_judge="r", harm_judge=HARM, price=(2.0, 10.0)
    )
    assert (s.asr.k, s.asr.n, s.no_attempt) == (1, 3, 1)
    assert s.budget == 4 and s.queries_per_behavior == 2.5
    # Every query of the attack is paid for, the failed search on b1 included: one success.
    assert s.cost_per_success == pytest.approx((1300 * 2.0 + 250 * 10.0) / 1e6)
    unpriced = summarize(records, target=T, attack="crescendo", refusal_judge="r", harm_judge=HARM)
    assert unpriced.cost_per_success is None
    assert (
        summarize(records, target=T, attack="direct", refusal_judge="r", harm_judge=HARM).budget
        is None
    )


def test_asr_by_variant_counts_each_behavior_once_per_variant() -> None:
    from tightrope.metrics.attacks import asr_by_variant

    b0, b1 = _b(0), _b(1)
    records = [
        _with(_r(b0, "pap", 0, "unsafe"), variant="Logical Appeal"),
        _with(_r(b0, "pap", 1, "safe"), variant="Storytelling"),
        _with(_r(b1, "pap", 0, None), variant="Logical Appeal"),
        _with(_r(b1, "pap", 1, "safe"), variant="Storytelling"),
    ]
    got = dict(asr_by_variant(records, target=T, attack="pap", refusal_judge="r", harm_judge=HARM))
    assert {v: (r.k, r.n, r.errors) for v, r in got.items()} == {
        "Logical Appeal": (1, 1, 1),
        "Storytelling": (0, 2, 0),
    }
