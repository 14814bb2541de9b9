"""Helpers shared by the benchmark scripts: summaries of repeated measurements and tables.

Not a benchmark itself; the scripts import it as `_common` (they run with bench/ on sys.path).
"""

from __future__ import annotations

import os
import platform
import statistics
from collections.abc import Sequence


def summary(values: Sequence[float], fmt: str = ".1f") -> str:
    """Return "median (min-max)" of `values`, or "-" when there are none."""
    if not values:
        return "-"
    med = statistics.median(values)
    return f"{med:{fmt}} ({min(values):{fmt}}-{max(values):{fmt}})"


def ratio(a: Sequence[float], b: Sequence[float]) -> str:
    """Return median(a) / median(b) as "0.93", or "-" when either is empty."""
    if not a or not b:
        return "-"
    return f"{statistics.median(a) / statistics.median(b):.2f}"


def machine() -> str:
    """Return a one-line description of the machine and interpreter."""
    return (
        f"{platform.machine()}, {os.cpu_count()} cpus, {platform.system()}, "
        f"Python {platform.python_version()}"
    )


def print_table(title: str, headers: Sequence[str], rows: Sequence[Sequence[object]]) -> None:
    """Print a Markdown table (paste-ready for docs/benchmarks.md) under a title line."""
    print(f"\n{title}\n")
    cells = [[str(c) for c in headers], *[[str(c) for c in r] for r in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]

    def line(r: Sequence[str]) -> str:
        return "| " + " | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) + " |"

    print(line(cells[0]))
    print("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    for r in cells[1:]:
        print(line(r))
    print(flush=True)
