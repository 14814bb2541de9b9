import math

import pytest

from tightrope.metrics.intervals import cluster_bootstrap_interval, wilson_interval


@pytest.mark.parametrize(
    ("k", "n", "low", "high"),
    [
        # Reference values: statsmodels proportion_confint(k, n, method="wilson").
        (5, 10, 0.2365931, 0.7634069),
        (0, 10, 0.0, 0.2775328),
        (1, 10, 0.0178762, 0.4041500),
        (10, 10, 0.7224672, 1.0),
    ],
)
def test_wilson_matches_reference_values(k: int, n: int, low: float, high: float) -> None:
    lo, hi = wilson_interval(k, n)
    assert lo == pytest.approx(low, abs=1e-6)
    assert hi == pytest.approx(high, abs=1e-6)


def test_wilson_empty_and_invalid() -> None:
    lo, hi = wilson_interval(0, 0)
    assert math.isnan(lo) and math.isnan(hi)
    with pytest.raises(ValueError):
        wilson_interval(3, 2)


def test_wilson_narrows_with_n() -> None:
    small = wilson_interval(5, 10)
    large = wilson_interval(500, 1000)
    assert (large[1] - large[0]) < (small[1] - small[0]) / 5


def test_cluster_bootstrap_is_wider_than_pretending_attempts_independent() -> None:
    # 20 behaviors x 10 attempts, attempts perfectly correlated within a behavior.
    clustered = [[1.0] * 10 if i % 2 else [0.0] * 10 for i in range(20)]
    independent = [[v] for c in clustered for v in c]
    lo_c, hi_c = cluster_bootstrap_interval(clustered, seed=1)
    lo_i, hi_i = cluster_bootstrap_interval(independent, seed=1)
    assert lo_c < 0.5 < hi_c
    assert (hi_c - lo_c) > 2 * (hi_i - lo_i)
    assert cluster_bootstrap_interval(clustered, seed=1) == (lo_c, hi_c)
