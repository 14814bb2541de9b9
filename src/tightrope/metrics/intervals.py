"""Interval estimates for rates: Wilson for one proportion, a bootstrap clustered by behavior."""

from __future__ import annotations

import math
import random
from collections.abc import Sequence

Z95 = 1.959963984540054


def wilson_interval(k: int, n: int, *, z: float = Z95) -> tuple[float, float]:
    """Return the Wilson score interval (low, high) for k successes in n trials.

    Wilson keeps its coverage near the nominal level for small n and for rates near 0 or 1,
    where the normal approximation collapses to a zero-width interval. n = 0 gives (nan, nan).
    """
    if n < 0 or k < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n, got k={k}, n={n}")
    if n == 0:
        return (math.nan, math.nan)
    p = k / n
    z2 = z * z
    denom = 1 + z2 / n
    centre = (p + z2 / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z2 / (4 * n * n)) / denom
    return (max(0.0, centre - half), min(1.0, centre + half))


def cluster_bootstrap_interval(
    clusters: Sequence[Sequence[float]],
    *,
    n_boot: int = 2000,
    seed: int = 0,
    level: float = 0.95,
) -> tuple[float, float]:
    """Return a percentile bootstrap interval for the mean of values grouped in clusters.

    Clusters (the attempts of one behavior) are resampled whole, so correlated attempts of the
    same behavior do not shrink the interval as if they were independent.
    """
    groups = [list(c) for c in clusters if len(c)]
    if not groups:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    means = []
    for _ in range(n_boot):
        total = 0.0
        count = 0
        for _ in range(len(groups)):
            g = groups[rng.randrange(len(groups))]
            total += sum(g)
            count += len(g)
        means.append(total / count)
    means.sort()
    alpha = (1 - level) / 2
    lo = means[math.floor(alpha * (n_boot - 1))]
    hi = means[math.ceil((1 - alpha) * (n_boot - 1))]
    return (lo, hi)
