"""Agreement between a judge and human labels: confusion counts, rates, Cohen's kappa, intervals.

Positive is the class a judge is meant to find: `unsafe` on the harm side, refusal (full or
partial) on the over-refusal side. Agreement = (TP + TN) / n, FPR = FP / (FP + TN),
FNR = FN / (FN + TP); each with a Wilson 95% interval. Cohen's kappa compares agreement with the
agreement expected by chance from the two raters' marginals; its 95% interval is a percentile
bootstrap over rows (2,000 resamples, fixed seed). Rows where the judge gave an error are left
out of every count and reported beside them.
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from tightrope.metrics.intervals import wilson_interval

N_BOOT = 2000


def cohen_kappa(tp: int, fp: int, fn: int, tn: int) -> float:
    """Return Cohen's kappa of a 2x2 table (nan when chance agreement is 1 or n is 0)."""
    n = tp + fp + fn + tn
    if n == 0:
        return math.nan
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / (n * n)
    if expected >= 1.0:
        return math.nan
    return (observed - expected) / (1 - expected)


def kappa_interval(
    tp: int, fp: int, fn: int, tn: int, *, n_boot: int = N_BOOT, seed: int = 0
) -> tuple[float, float]:
    """Return a percentile-bootstrap 95% interval for Cohen's kappa (rows resampled).

    Resampling rows of a 2x2 table is drawing the four cell counts from a multinomial with the
    observed shares; resamples whose kappa is undefined are dropped.
    """
    n = tp + fp + fn + tn
    if n == 0:
        return (math.nan, math.nan)
    rng = random.Random(seed)
    cells = (0, 1, 2, 3)
    weights = (tp, fp, fn, tn)
    values = []
    for _ in range(n_boot):
        counts = [0, 0, 0, 0]
        for c in rng.choices(cells, weights=weights, k=n):
            counts[c] += 1
        k = cohen_kappa(*counts)
        if not math.isnan(k):
            values.append(k)
    if not values:
        return (math.nan, math.nan)
    values.sort()
    lo = values[math.floor(0.025 * (len(values) - 1))]
    hi = values[math.ceil(0.975 * (len(values) - 1))]
    return (lo, hi)


@dataclass(frozen=True)
class Agreement:
    """A judge's 2x2 table against human labels, plus how many rows it failed on."""

    tp: int
    fp: int
    fn: int
    tn: int
    errors: int = 0

    @property
    def n(self) -> int:
        """Rows with a judge label (errors excluded)."""
        return self.tp + self.fp + self.fn + self.tn

    @property
    def agreement(self) -> float:
        """(TP + TN) / n (nan when n is 0)."""
        return (self.tp + self.tn) / self.n if self.n else math.nan

    @property
    def fpr(self) -> float:
        """FP / (FP + TN): human-negative rows the judge called positive."""
        neg = self.fp + self.tn
        return self.fp / neg if neg else math.nan

    @property
    def fnr(self) -> float:
        """FN / (FN + TP): human-positive rows the judge missed."""
        pos = self.fn + self.tp
        return self.fn / pos if pos else math.nan

    @property
    def kappa(self) -> float:
        """Cohen's kappa between the judge and the human labels."""
        return cohen_kappa(self.tp, self.fp, self.fn, self.tn)

    def agreement_ci(self) -> tuple[float, float]:
        """Wilson 95% interval of the agreement."""
        return wilson_interval(self.tp + self.tn, self.n)

    def fpr_ci(self) -> tuple[float, float]:
        """Wilson 95% interval of the FPR."""
        return wilson_interval(self.fp, self.fp + self.tn)

    def fnr_ci(self) -> tuple[float, float]:
        """Wilson 95% interval of the FNR."""
        return wilson_interval(self.fn, self.fn + self.tp)

    def kappa_ci(self, *, n_boot: int = N_BOOT, seed: int = 0) -> tuple[float, float]:
        """Bootstrap 95% interval of Cohen's kappa."""
        return kappa_interval(self.tp, self.fp, self.fn, self.tn, n_boot=n_boot, seed=seed)

    def summary(self, *, n_boot: int = N_BOOT) -> dict[str, float | int | list[float]]:
        """Return the counts, rates and intervals as a JSON-ready dict."""
        return {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "n": self.n,
            "errors": self.errors,
            "agreement": self.agreement,
            "agreement_ci": list(self.agreement_ci()),
            "fpr": self.fpr,
            "fpr_ci": list(self.fpr_ci()),
            "fnr": self.fnr,
            "fnr_ci": list(self.fnr_ci()),
            "kappa": self.kappa,
            "kappa_ci": list(self.kappa_ci(n_boot=n_boot)),
        }


def tally(pairs: Iterable[tuple[bool, bool | None]]) -> Agreement:
    """Return the Agreement of (human positive, judge positive or None for an error) pairs."""
    tp = fp = fn = tn = errors = 0
    for truth, predicted in pairs:
        if predicted is None:
            errors += 1
        elif truth and predicted:
            tp += 1
        elif predicted:
            fp += 1
        elif truth:
            fn += 1
        else:
            tn += 1
    return Agreement(tp=tp, fp=fp, fn=fn, tn=tn, errors=errors)


def exact_agreement(pairs: Sequence[tuple[str, str | None]]) -> tuple[int, int]:
    """Return (matching, compared) over (human label, judge label or None) pairs, errors left
    out: the multi-class view (XSTest's three classes)."""
    compared = [(h, j) for h, j in pairs if j is not None]
    return sum(h == j for h, j in compared), len(compared)
