import math
import random

import pytest

from tightrope.metrics import intervals
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


def _mixed_clusters() -> list[list[float]]:
    rng = random.Random(42)
    return [[round(rng.random(), 3) for _ in range(1 + i % 3)] for i in range(37)]


def test_cluster_bootstrap_gives_the_intervals_of_the_pure_python_loop_of_before() -> None:
    # Values from the pure-Python implementation that was the only one before numpy's path.
    assert cluster_bootstrap_interval(_mixed_clusters()) == (0.4052763157894737, 0.5381014492753624)
    assert cluster_bootstrap_interval(_mixed_clusters(), seed=7, n_boot=500, level=0.9) == (
        0.4121250000000001,
        0.5298169014084507,
    )
    binary = [[1.0] * 3 if i % 4 == 0 else [0.0, 1.0] for i in range(50)]
    assert cluster_bootstrap_interval(binary, seed=3) == (0.5981308411214953, 0.7394957983193278)


@pytest.mark.parametrize(("clusters", "n_boot", "seed"), [(1, 20, 0), (2, 50, 1), (7, 300, 2),
                                                        (300, 200, 3), (65537, 2, 4)])  # fmt: skip
def test_numpy_bootstrap_draws_and_sums_exactly_as_the_python_loop(
    clusters: int, n_boot: int, seed: int
) -> None:
    pytest.importorskip("numpy")
    rng = random.Random(clusters)
    fractional = [[rng.random() for _ in range(rng.randint(1, 4))] for _ in range(clusters)]
    binary = [
        [float(rng.random() < 0.3) for _ in range(rng.randint(1, 4))] for _ in range(clusters)
    ]
    for groups in (fractional, binary):
        python = intervals._bootstrap_means_python(groups, n_boot=n_boot, seed=seed)
        vectorised = intervals._bootstrap_means_numpy(
            intervals.numpy_or_none(), groups, n_boot=n_boot, seed=seed
        )
        assert vectorised == python


def test_numpy_bootstrap_is_the_same_across_block_boundaries(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    np = pytest.importorskip("numpy")
    groups = [[float(i % 3), 0.5] for i in range(11)]
    expected = intervals._bootstrap_means_python(groups, n_boot=100, seed=9)
    monkeypatch.setattr(intervals, "_CHUNK_DRAWS", 13)  # several resamples' draws per block
    assert intervals._bootstrap_means_numpy(np, groups, n_boot=100, seed=9) == expected


def test_cluster_bootstrap_without_numpy_is_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    with_numpy = cluster_bootstrap_interval(_mixed_clusters(), seed=5)
    monkeypatch.setattr(intervals, "numpy_or_none", lambda: None)
    assert cluster_bootstrap_interval(_mixed_clusters(), seed=5) == with_numpy
