"""Interval estimates for rates: Wilson for one proportion, a bootstrap clustered by behavior.

The bootstrap draws its resamples from Python's `random.Random(seed)`. With numpy it draws the
same stream in bulk (numpy's MT19937 takes the Mersenne Twister state of `random.Random(seed)`
and `randrange`'s rejection sampling is replayed on the raw 32-bit words) and sums each
resample in the same order, so both paths return the same interval, bit for bit; without numpy
the pure-Python loop is used.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np

Z95 = 1.959963984540054
# Indices per vectorised step of the bootstrap (8 bytes each), and 32-bit words per draw from
# the Mersenne Twister: small enough to stay in cache, large enough to amortise the calls.
_CHUNK_DRAWS = 1 << 18
_BLOCK_WORDS = 1 << 16


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


def numpy_or_none() -> Any:
    """Return the numpy module, or None when it is not installed (the pure-Python paths)."""
    try:
        import numpy
    except ImportError:
        return None
    return numpy


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
    np_mod = numpy_or_none()
    if np_mod is not None and len(groups) < 1 << 32:
        means = _bootstrap_means_numpy(np_mod, groups, n_boot=n_boot, seed=seed)
    else:
        means = _bootstrap_means_python(groups, n_boot=n_boot, seed=seed)
    means.sort()
    alpha = (1 - level) / 2
    lo = means[math.floor(alpha * (n_boot - 1))]
    hi = means[math.ceil((1 - alpha) * (n_boot - 1))]
    return (lo, hi)


def _bootstrap_means_python(groups: list[list[float]], *, n_boot: int, seed: int) -> list[float]:
    """The resample means, one cluster at a time (the reference the numpy path reproduces)."""
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
    return means


def _bootstrap_means_numpy(
    np_mod: Any, groups: list[list[float]], *, n_boot: int, seed: int
) -> list[float]:
    """The resample means of `_bootstrap_means_python`, drawn and summed in bulk."""
    sums = np_mod.array([sum(g) for g in groups], dtype=np_mod.float64)
    sizes = np_mod.array([len(g) for g in groups], dtype=np_mod.int64)
    # Whole-number cluster sums add exactly in any order; others are added left to right, as
    # the loop does, so that the means are the same floats.
    exact = bool(np_mod.all(sums == np_mod.floor(sums))) and float(np_mod.abs(sums).sum()) < 2**52
    same_size = bool(np_mod.all(sizes == sizes[0]))
    n = len(groups)
    rows = max(1, _CHUNK_DRAWS // n)
    draws = _RandrangeDraws(np_mod, n, seed)
    means: list[float] = []
    done = 0
    while done < n_boot:
        r = min(rows, n_boot - done)
        idx = draws.take(r * n).reshape(r, n)
        picked = sums[idx]
        totals = picked.sum(axis=1) if exact else np_mod.cumsum(picked, axis=1)[:, -1]
        counts = n * int(sizes[0]) if same_size else sizes[idx].sum(axis=1)
        means.extend((totals / counts).tolist())
        done += r
    return means


class _RandrangeDraws:
    """The values `random.Random(seed).randrange(n)` returns one by one, taken in blocks.

    `randrange(n)` takes the top `n.bit_length()` bits of one 32-bit Mersenne Twister word and
    draws again while the value is >= n; numpy's MT19937 set to the same state gives the same
    words, so filtering them gives the same values in the same order.
    """

    def __init__(self, np_mod: Any, n: int, seed: int) -> None:
        state = random.Random(seed).getstate()[1]
        self._np = np_mod
        self._n = n
        self._bitgen = np_mod.random.MT19937()
        self._bitgen.state = {
            "bit_generator": "MT19937",
            "state": {"key": np_mod.array(state[:624], dtype=np_mod.uint32), "pos": state[624]},
        }
        self._shift = np_mod.uint64(32 - n.bit_length())
        self._left: np.ndarray = np_mod.empty(0, dtype=np_mod.int64)

    def take(self, count: int) -> np.ndarray:
        """Return the next `count` values; what a block drew beyond them is kept for later."""
        parts = [self._left]
        have = len(self._left)
        np_mod = self._np
        while have < count:
            words = self._bitgen.random_raw(_BLOCK_WORDS)
            np_mod.right_shift(words, self._shift, out=words)
            # The values are below 2**32, so their uint64 bits read as int64 unchanged.
            block = np_mod.compress(words < self._n, words).view(np_mod.int64)
            parts.append(block)
            have += len(block)
        joined = np_mod.concatenate(parts) if len(parts) > 1 else parts[0]
        self._left = joined[count:]
        return joined[:count]
