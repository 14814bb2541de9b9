"""Paired comparison of two proportions measured on the same behaviors.

The exact McNemar test (a two-sided binomial test on the discordant pairs) and Newcombe's
square-and-add interval for the paired difference (Newcombe 1998, method 10, as given by
Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables", ch. 8).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from tightrope.metrics.intervals import wilson_interval


def mcnemar_exact(b: int, c: int) -> float:
    """Return the two-sided exact McNemar p-value for `b` and `c` discordant pairs.

    Under the null each discordant pair goes either way with probability 1/2, so the p-value is
    2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1. No discordant pair: 1.0.
    """
    if b < 0 or c < 0:
        raise ValueError(f"need b, c >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / (1 << n))


def newcombe_paired_interval(a: int, b: int, c: int, d: int) -> tuple[float, float]:
    """Return the 95% interval (low, high) of p_B - p_A from a paired 2x2 table.

    Cells: `a` yes in both, `b` yes in A only, `c` yes in B only, `d` no in both; so
    p_A = (a + b) / N and p_B = (a + c) / N. Empty table: (nan, nan).
    """
    n = a + b + c + d
    if n == 0:
        return (math.nan, math.nan)
    pa, pb = (a + b) / n, (a + c) / n
    la, ua = wilson_interval(a + b, n)
    lb, ub = wilson_interval(a + c, n)
    margins = (a + b, c + d, a + c, b + d)
    if 0 in margins:
        psi = 0.0
    else:
        prod = math.prod(margins)
        num = a * d - b * c
        if num > n / 2:
            psi = (num - n / 2) / math.sqrt(prod)
        elif num >= 0:
            psi = 0.0
        else:
            psi = num / math.sqrt(prod)
    diff = pb - pa
    low = diff - math.sqrt(
        max(0.0, (pb - lb) ** 2 + (ua - pa) ** 2 - 2 * psi * (pb - lb) * (ua - pa))
    )
    high = diff + math.sqrt(
        max(0.0, (ub - pb) ** 2 + (pa - la) ** 2 - 2 * psi * (ub - pb) * (pa - la))
    )
    return (max(-1.0, low), min(1.0, high))


@dataclass(frozen=True)
class PairedDifference:
    """Two rates on shared items: the 2x2 counts, B - A with its interval, McNemar's p."""

    both: int
    a_only: int
    b_only: int
    neither: int
    diff: float
    low: float
    high: float
    p_value: float

    @property
    def n(self) -> int:
        """Items with a usable outcome in both runs."""
        return self.both + self.a_only + self.b_only + self.neither

    @property
    def rate_a(self) -> float:
        """The rate in A over the shared items (nan when n is 0)."""
        return (self.both + self.a_only) / self.n if self.n else math.nan

    @property
    def rate_b(self) -> float:
        """The rate in B over the shared items (nan when n is 0)."""
        return (self.both + self.b_only) / self.n if self.n else math.nan


def paired_difference(a: Mapping[str, bool], b: Mapping[str, bool]) -> PairedDifference:
    """Return the paired difference of two outcome maps (item id -> yes?) on their shared ids."""
    shared = a.keys() & b.keys()
    both = sum(1 for k in shared if a[k] and b[k])
    a_only = sum(1 for k in shared if a[k] and not b[k])
    b_only = sum(1 for k in shared if not a[k] and b[k])
    neither = len(shared) - both - a_only - b_only
    n = len(shared)
    low, high = newcombe_paired_interval(both, a_only, b_only, neither)
    return PairedDifference(
        both=both,
        a_only=a_only,
        b_only=b_only,
        neither=neither,
        diff=(b_only - a_only) / n if n else math.nan,
        low=low,
        high=high,
        p_value=mcnemar_exact(a_only, b_only),
    )
