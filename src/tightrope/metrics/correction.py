"""Judge-error-corrected rates: the Rogan-Gladen estimator with a parametric bootstrap interval.

A judge that finds the positive class (unsafe, or refusal) with sensitivity Se and specificity
Sp turns a true rate p into an observed rate p_obs = Se p + (1 - Sp)(1 - p). Solving for p gives
Rogan and Gladen's (1978) estimate

    p = (p_obs + Sp - 1) / (Se + Sp - 1),

clipped to [0, 1]. Se + Sp - 1 (Youden's J) is how much the judge's verdict says about the truth:
at J = 0 the judge is a coin and nothing can be corrected; near 0 the correction divides by
almost nothing, so `corrected_rate` refuses to correct at J <= `MIN_YOUDEN` and says why.

The 95% interval propagates both uncertainties by a parametric bootstrap (fixed seed): each
draw takes Se ~ Beta(TP + 1, FN + 1) and Sp ~ Beta(TN + 1, FP + 1) from the judge's card, and
p_obs ~ Beta(k + 1, n - k + 1) from the observed k of n (the posteriors of the three binomial
proportions under a uniform prior), and computes the clipped estimate; the interval is the
2.5th and 97.5th percentiles of the draws. A draw whose J is <= 0 has no estimate and is left
out; the result counts such draws. Plain Python (`random.Random`), no numpy.

The correction assumes the card's Se and Sp carry over to the responses being judged: a judge
measured on one kind of response can err differently on another.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass

MIN_YOUDEN = 0.1
N_BOOT = 2000


def rogan_gladen(p_obs: float, se: float, sp: float) -> float:
    """Return (p_obs + sp - 1) / (se + sp - 1) clipped to [0, 1].

    Raises ValueError when se + sp - 1 <= 0 (the judge's verdicts carry no information) or an
    argument is outside [0, 1].
    """
    for name, v in (("p_obs", p_obs), ("se", se), ("sp", sp)):
        if not 0.0 <= v <= 1.0:
            raise ValueError(f"{name} must be in [0, 1], got {v}")
    youden = se + sp - 1.0
    if youden <= 0.0:
        raise ValueError(f"se + sp - 1 = {youden:.3f} <= 0: nothing to correct with")
    return min(1.0, max(0.0, (p_obs + sp - 1.0) / youden))


@dataclass(frozen=True)
class Corrected:
    """A corrected rate: the observed k of n, the card's Se and Sp, and the estimate.

    `estimate`, `low` and `high` are nan when no correction was made; `reason` then says why.
    `dropped` counts bootstrap draws whose Se + Sp - 1 was <= 0 (left out of the interval).
    """

    k: int
    n: int
    se: float
    sp: float
    estimate: float
    low: float
    high: float
    dropped: int = 0
    reason: str = ""

    @property
    def observed(self) -> float:
        """The observed rate k / n (nan when n is 0)."""
        return self.k / self.n if self.n else math.nan

    @property
    def youden(self) -> float:
        """Se + Sp - 1 of the card."""
        return self.se + self.sp - 1.0

    @property
    def ok(self) -> bool:
        """Whether a correction was made."""
        return not self.reason


def _percentile(sorted_values: list[float], q: float) -> float:
    """Return the q-quantile (0..1) of sorted values, linear between order statistics."""
    pos = q * (len(sorted_values) - 1)
    lo = math.floor(pos)
    hi = min(lo + 1, len(sorted_values) - 1)
    return sorted_values[lo] + (sorted_values[hi] - sorted_values[lo]) * (pos - lo)


def corrected_rate(
    k: int,
    n: int,
    *,
    tp: int,
    fn: int,
    tn: int,
    fp: int,
    n_boot: int = N_BOOT,
    seed: int = 0,
    level: float = 0.95,
    min_youden: float = MIN_YOUDEN,
) -> Corrected:
    """Return the Rogan-Gladen correction of k positives in n for a judge whose card counted
    tp, fn (human positives) and tn, fp (human negatives), with a bootstrap interval.

    No correction (a `Corrected` with `reason` set) when n is 0, when the card has no human
    positive or no human negative, or when the card's Se + Sp - 1 is <= `min_youden`.
    Raises ValueError on negative counts or k > n.
    """
    if min(k, n, tp, fn, tn, fp) < 0 or k > n:
        raise ValueError(f"need 0 <= k <= n and counts >= 0, got k={k}, n={n}")
    pos, neg = tp + fn, tn + fp
    se = tp / pos if pos else math.nan
    sp = tn / neg if neg else math.nan
    nan = math.nan
    if n == 0:
        return Corrected(k, n, se, sp, nan, nan, nan, reason="no verdicts to correct (n = 0)")
    if not pos or not neg:
        return Corrected(
            k, n, se, sp, nan, nan, nan, reason="the card lacks human positives or negatives"
        )
    # Rounded so that a card exactly at the threshold (0.55 + 0.55 - 1) counts as at it.
    if round(se + sp - 1.0, 12) <= min_youden:
        return Corrected(
            k,
            n,
            se,
            sp,
            nan,
            nan,
            nan,
            reason=(
                f"no correction: the judge's Se + Sp - 1 = {se + sp - 1.0:.2f} is <= "
                f"{min_youden:g}, so its verdicts say too little about the truth to correct"
            ),
        )
    rng = random.Random(seed)
    draws: list[float] = []
    dropped = 0
    for _ in range(n_boot):
        se_b = rng.betavariate(tp + 1, fn + 1)
        sp_b = rng.betavariate(tn + 1, fp + 1)
        p_b = rng.betavariate(k + 1, n - k + 1)
        if se_b + sp_b - 1.0 <= 0.0:
            dropped += 1
            continue
        draws.append(rogan_gladen(p_b, se_b, sp_b))
    draws.sort()
    alpha = (1.0 - level) / 2.0
    low = _percentile(draws, alpha) if draws else nan
    high = _percentile(draws, 1.0 - alpha) if draws else nan
    return Corrected(k, n, se, sp, rogan_gladen(k / n, se, sp), low, high, dropped=dropped)
