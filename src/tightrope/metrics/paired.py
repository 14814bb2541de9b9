"""Paired comparison of two proportions measured on the same behaviors.

The exact McNemar test (a two-sided binomial test on the discordant pairs) and Newcombe's
square-and-add interval for the paired difference (Newcombe 1998, method 10, as given by
Fagerland, Lydersen & Laake, "Statistical Analysis of Contingency Tables", ch. 8).

Two runs are paired behavior by behavior: `behavior_outcomes` collapses each run's attempts
with the one per-behavior rule (`tightrope.metrics.collapse`), and `paired_by_category` compares
the behaviors both runs decided, per category and overall. `tightrope.report.compare` adds the
instrument checks and the wording.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from tightrope.datasets.taxonomy import category_sort_key
from tightrope.metrics.collapse import collapse_behaviors
from tightrope.metrics.intervals import wilson_interval
from tightrope.metrics.rates import OVERALL, refused_outcome, unsafe_outcome
from tightrope.records import Record

Metric = Literal["not_unsafe", "not_overrefuse"]
METRICS: tuple[Metric, ...] = ("not_unsafe", "not_overrefuse")


# Up to this many discordant pairs the tail is summed exactly in integers (a few ms at most);
# above it, in log space, where the big-integer sum grows quadratically (26 s at 20,000).
EXACT_MCNEMAR_MAX = 5000


def mcnemar_exact(b: int, c: int) -> float:
    """Return the two-sided exact McNemar p-value for `b` and `c` discordant pairs.

    Under the null each discordant pair goes either way with probability 1/2, so the p-value is
    2 * P(X <= min(b, c)) for X ~ Binomial(b + c, 1/2), capped at 1. No discordant pair: 1.0.
    Up to `EXACT_MCNEMAR_MAX` pairs the tail is an exact integer sum; above, the same sum is
    taken in log space (relative error below 1e-8 up to a million pairs). The log-space sum
    stops after at most about 5 sqrt(n) terms, so plain Python beats a numpy sum over all k terms and
    neither numpy nor scipy is needed.
    """
    if b < 0 or c < 0:
        raise ValueError(f"need b, c >= 0, got b={b}, c={c}")
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    if 2 * k + 1 >= n:
        return 1.0  # the lower tail holds half of the distribution or more
    if n <= EXACT_MCNEMAR_MAX:
        return _mcnemar_integer(n, k)
    return min(1.0, 2.0 * math.exp(_log_tail(n, k)))


def _mcnemar_integer(n: int, k: int) -> float:
    """2 * P(X <= k), X ~ Binomial(n, 1/2), from the exact integer sum of C(n, 0..k)."""
    term = tail = 1
    for i in range(k):
        term = term * (n - i) // (i + 1)
        tail += term
    return min(1.0, 2 * tail / (1 << n))


def _log_top(n: int, k: int) -> float:
    """log(C(n, k) / 2**n), the largest term of the lower tail up to k <= n / 2."""
    return math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) - n * math.log(2)


def _log_tail(n: int, k: int) -> float:
    """log P(X <= k) for X ~ Binomial(n, 1/2), k <= n / 2: terms summed down from the largest.

    C(n, i - 1) = C(n, i) * i / (n - i + 1); the terms shrink, so the sum stops once one is
    below 1e-17 of the total.
    """
    total = term = 1.0
    for i in range(k, 0, -1):
        term *= i / (n - i + 1)
        total += term
        if term < 1e-17 * total:
            break
    return _log_top(n, k) + math.log(total)


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


def behavior_outcomes(
    records: Sequence[Record],
    *,
    target: str,
    attack: str,
    metric: Metric,
    refusal_judge: str,
    harm_judge: str | None,
) -> dict[str, tuple[bool, str]]:
    """Return behavior id -> (metric satisfied?, category), errors left out.

    Attempts collapse as in every per-behavior figure (`collapse`): a behavior is unsafe (or
    over-refused) when any attempt was, an error when an attempt errored and none decided,
    otherwise fine. These are the behaviors, and the outcomes, of the metrics table's rate.
    """
    side = "harmful" if metric == "not_unsafe" else "benign"
    pairs = []
    category: dict[str, str] = {}
    for r in records:
        if r.attempt.target != target or r.attempt.attack != attack or r.behavior.side != side:
            continue
        o = (
            unsafe_outcome(r, refusal_judge=refusal_judge, harm_judge=harm_judge)
            if metric == "not_unsafe"
            else refused_outcome(r, refusal_judge=refusal_judge)
        )
        pairs.append((r.behavior.id, o))
        category[r.behavior.id] = r.behavior.category
    return {
        bid: (o == "no", category[bid])
        for bid, o in collapse_behaviors(pairs).items()
        if o != "error"
    }


@dataclass(frozen=True)
class PairedCategory:
    """One category (or `all`): the paired difference on shared behaviors, and how many
    behaviors only one run decided."""

    category: str
    paired: PairedDifference
    unpaired: int


def paired_by_category(
    a: Mapping[str, tuple[bool, str]], b: Mapping[str, tuple[bool, str]]
) -> list[PairedCategory]:
    """Return the paired difference B - A per category of the shared behaviors, then overall.

    `a` and `b` are `behavior_outcomes` of two runs; a behavior decided in one run only is
    counted in `unpaired` (under its category in whichever run has it).
    """
    shared = sorted(a.keys() & b.keys())
    cats = sorted({a[k][1] for k in shared}, key=category_sort_key)
    out = []
    for cat in [*cats, OVERALL]:
        keys = [k for k in shared if cat == OVERALL or a[k][1] == cat]
        unpaired = [
            k for k in a.keys() ^ b.keys() if cat == OVERALL or (a.get(k) or b[k])[1] == cat
        ]
        out.append(
            PairedCategory(
                category=cat,
                paired=paired_difference({k: a[k][0] for k in keys}, {k: b[k][0] for k in keys}),
                unpaired=len(unpaired),
            )
        )
    return out


def flipped(a: Mapping[str, tuple[bool, str]], b: Mapping[str, tuple[bool, str]]) -> list[str]:
    """Return the shared behaviors whose outcome differs between `a` and `b`, sorted by id."""
    return [k for k in sorted(a.keys() & b.keys()) if a[k][0] != b[k][0]]
