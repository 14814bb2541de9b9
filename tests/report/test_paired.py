"""The exact McNemar test and Newcombe's paired interval against published values."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
import runfactory

from tightrope.metrics.paired import (
    EXACT_MCNEMAR_MAX,
    METRICS,
    _mcnemar_integer,
    behavior_outcomes,
    mcnemar_exact,
    newcombe_paired_interval,
    paired_difference,
)
from tightrope.report.compare import compare_runs
from tightrope.report.loader import load_runs


@pytest.mark.parametrize(
    ("b", "c", "p"),
    [
        # 2 * P(X <= min) for X ~ Binomial(b + c, 1/2), computed by hand:
        (10, 2, 2 * (1 + 12 + 66) / 4096),  # 0.038574...
        (1, 7, 2 * (1 + 8) / 256),  # Bentur et al. 2009 (Fagerland et al., ch. 8): 0.0703
        (6, 16, 0.052479),  # Cavo et al. 2012 (Fagerland et al., ch. 8): 0.0525
        (0, 5, 2 / 32),
        (3, 3, 1.0),
        (0, 0, 1.0),
        (0, 1, 1.0),
    ],
)
def test_mcnemar_exact_known_values(b: int, c: int, p: float) -> None:
    assert mcnemar_exact(b, c) == pytest.approx(p, abs=5e-7)
    assert mcnemar_exact(c, b) == mcnemar_exact(b, c)


def test_mcnemar_exact_is_exact_for_large_counts() -> None:
    # 600 discordant pairs, 250 vs 350: the two-sided binomial tail, about 5.0e-5.
    p = mcnemar_exact(250, 350)
    assert 4e-5 < p < 6e-5
    assert mcnemar_exact(3000, 3000) == 1.0


def test_mcnemar_rejects_negative_counts() -> None:
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 3)


def test_newcombe_interval_matches_fagerland_cavo_example() -> None:
    # contingencytables' Newcombe_square_and_add_CI_paired_2x2 on [[59, 6], [16, 80]] gives
    # estimate -0.0621, 95% CI -0.1186 to -0.0046 for p1 - p2; tightrope reports B - A.
    low, high = newcombe_paired_interval(59, 6, 16, 80)
    assert low == pytest.approx(0.0046, abs=5e-5)
    assert high == pytest.approx(0.1186, abs=5e-5)


def test_newcombe_interval_edges() -> None:
    assert all(math.isnan(x) for x in newcombe_paired_interval(0, 0, 0, 0))
    low, high = newcombe_paired_interval(10, 0, 0, 10)  # no discordant pair
    assert low < 0 < high
    low, high = newcombe_paired_interval(0, 0, 20, 0)  # every item flipped to yes
    assert 0.5 < low <= high == 1.0


def test_paired_difference_counts_only_shared_items() -> None:
    a = {"x": True, "y": True, "z": False, "only_a": True}
    b = {"x": True, "y": False, "z": True, "only_b": False}
    d = paired_difference(a, b)
    assert (d.both, d.a_only, d.b_only, d.neither, d.n) == (1, 1, 1, 0, 3)
    assert d.diff == 0.0 and d.p_value == 1.0
    assert d.rate_a == pytest.approx(2 / 3) and d.rate_b == pytest.approx(2 / 3)


def test_compare_outcomes_reproduce_the_metrics_rates(tmp_path: Path) -> None:
    rid = runfactory.make_run(
        tmp_path,
        ["mixed"],
        judges_=("refusal", runfactory.HARM_JUDGE),
        attacks_=("direct", runfactory.TWO_SHOT),
    )
    run = load_runs(tmp_path, [rid])[0]
    for table in run.tables:
        for metric in METRICS:
            outcomes = behavior_outcomes(
                run.records, target=table.target, attack=table.attack, metric=metric,
                refusal_judge=run.refusal_judge, harm_judge=run.harm_judge,
            )  # fmt: skip
            rate = getattr(table.overall, metric)
            assert len(outcomes) == rate.n
            assert sum(ok for ok, _ in outcomes.values()) == rate.k
    same = compare_runs(run, run)
    assert [c.attack for c in same] == ["direct", runfactory.TWO_SHOT]
    for c in same:
        assert c.flips == [] and c.mismatches == []
        overall = [r for r in c.rows if r.category == "all"]
        assert all(r.paired.diff == 0 and r.paired.p_value == 1.0 for r in overall)


@pytest.mark.parametrize("n", [EXACT_MCNEMAR_MAX + 1, 6000, 12_345, 20_000])
def test_mcnemar_log_space_matches_the_exact_integer_sum(n: int) -> None:
    for k in (0, 3, n // 4, n // 2 - 300, n // 2 - 60, n // 2 - 1):
        exact = _mcnemar_integer(n, k)
        assert mcnemar_exact(k, n - k) == pytest.approx(exact, rel=1e-9, abs=1e-300), (n, k)


def test_mcnemar_is_one_when_the_smaller_side_holds_half_the_pairs() -> None:
    assert mcnemar_exact(2500, 2501) == 1.0
    assert mcnemar_exact(50_000, 50_000) == 1.0
    assert mcnemar_exact(49_999, 50_001) < 1.0


def test_mcnemar_at_100k_pairs_matches_scipy() -> None:
    stats = pytest.importorskip("scipy.stats")
    for k in (49_000, 49_800, 49_950):
        expected = 2 * stats.binom.cdf(k, 100_000, 0.5)
        assert mcnemar_exact(k, 100_000 - k) == pytest.approx(expected, rel=1e-8)
