"""Statistics at tens of thousands of prompts: exact McNemar, clustered bootstrap, goodness@k.

    .venv/bin/python bench/stats_speed.py [--prompts 20000 100000] [--repeats 5]
        [--old-repeats 5] [--old-mcnemar-max 20000]

For each size N, in this one process, times the current functions of `tightrope.metrics`
against the implementations they replaced (copied below verbatim), on the same inputs:

* exact McNemar with N discordant pairs (49% / 51%): the old sum of `math.comb` big integers
  against the current one (exact integers up to 5,000 pairs, log space above);
* the clustered bootstrap (2,000 resamples) over N behaviors of 1-5 attempts with 0/1
  outcomes, as the attack summary's attempt-level interval;
* goodness@0.1's interval: the bootstrap over N prompts with fractional scores, then the same
  call again (the current code remembers it; the old one recomputed it).

Each cell is the median (min-max) over the repeats; "same" says whether the current result
equals the old one exactly (bootstrap) or to 1e-9 relative (McNemar). The old McNemar grows
quadratically (26 s at 20,000 pairs), so above --old-mcnemar-max it is not run; the old
bootstrap is run --old-repeats times at every size.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
from collections.abc import Callable, Sequence
from typing import Any

from _common import machine, print_table, summary

from tightrope.metrics import attacks as attack_metrics
from tightrope.metrics.intervals import cluster_bootstrap_interval
from tightrope.metrics.paired import mcnemar_exact


def old_mcnemar(b: int, c: int) -> float:
    """tightrope.metrics.paired.mcnemar_exact before issue 21."""
    n = b + c
    if n == 0:
        return 1.0
    k = min(b, c)
    tail = sum(math.comb(n, i) for i in range(k + 1))
    return min(1.0, 2 * tail / (1 << n))


def old_bootstrap(
    clusters: Sequence[Sequence[float]], *, n_boot: int = 2000, seed: int = 0, level: float = 0.95
) -> tuple[float, float]:
    """tightrope.metrics.intervals.cluster_bootstrap_interval before issue 21."""
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
    return (means[math.floor(alpha * (n_boot - 1))], means[math.ceil((1 - alpha) * (n_boot - 1))])


def timed(fn: Callable[[], Any], repeats: int) -> tuple[list[float], Any]:
    """Call fn `repeats` times; return the seconds of each call and the last result."""
    times = []
    result = None
    for _ in range(repeats):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return times, result


def row(
    name: str,
    n: int,
    new: tuple[list[float], Any],
    old: tuple[list[float], Any] | None,
    same: Callable[[Any, Any], bool],
) -> list[object]:
    """One table row: the timings, the ratio of medians and whether the results agree."""
    if old is None:
        return [name, n, summary(new[0], ".4f"), "not run", "-", "-"]
    speedup = statistics.median(old[0]) / statistics.median(new[0])
    return [
        name,
        n,
        summary(new[0], ".4f"),
        summary(old[0], ".2f"),
        f"{speedup:,.0f}x",
        "yes" if same(new[1], old[1]) else "NO",
    ]


def measure(n: int, args: argparse.Namespace) -> list[list[object]]:
    """The table rows of one size."""
    rows: list[list[object]] = []
    rng = random.Random(n)
    b = n * 49 // 100
    new = timed(lambda: mcnemar_exact(b, n - b), args.repeats)
    old = (
        timed(lambda: old_mcnemar(b, n - b), args.old_repeats)
        if n <= args.old_mcnemar_max
        else None
    )
    rows.append(row("McNemar exact", n, new, old, lambda x, y: math.isclose(x, y, rel_tol=1e-9)))
    print(rows[-1], flush=True)

    clusters = [[float(rng.random() < 0.3) for _ in range(1 + i % 5)] for i in range(n)]
    new = timed(lambda: cluster_bootstrap_interval(clusters), args.repeats)
    old = timed(lambda: old_bootstrap(clusters), args.old_repeats)
    rows.append(row("clustered bootstrap", n, new, old, lambda x, y: x == y))
    print(rows[-1], flush=True)

    scores = tuple(rng.random() for _ in range(n))
    attack_metrics._prompt_interval.cache_clear()
    first = timed(lambda: attack_metrics._prompt_interval(scores), 1)
    again = timed(lambda: attack_metrics._prompt_interval(scores), args.repeats)
    old = timed(lambda: old_bootstrap([[s] for s in scores]), args.old_repeats)
    rows.append(row("goodness@0.1 interval", n, first, old, lambda x, y: x == y))
    rows.append(row("goodness@0.1, asked again", n, again, old, lambda x, y: x == y))
    print(rows[-2], rows[-1], flush=True)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--old-repeats", type=int, default=5)
    ap.add_argument("--old-mcnemar-max", type=int, default=20_000)
    args = ap.parse_args()
    rows = [r for n in args.prompts for r in measure(n, args)]
    print_table(
        f"Statistics, current vs before issue 21 (seconds, median (min-max)); {machine()}; "
        f"current x{args.repeats}, old x{args.old_repeats}",
        ["statistic", "N", "current s", "old s", "speed-up", "same result"],
        rows,
    )


if __name__ == "__main__":
    main()
