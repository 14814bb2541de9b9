"""Series of a report: one per run and target, each with its colour, marker and tables.

A report over several runs (or one run with several targets) draws one point per series on the
frontier plot and one bar per series in each attack group.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tightrope.metrics.rates import MetricsTable
from tightrope.report.loader import LoadedRun
from tightrope.report.palette import series_colour, series_marker

BASELINE_ATTACK = "direct"


@dataclass(frozen=True)
class Series:
    """One run x target: its label, colour, marker and its metrics table per attack."""

    key: str
    number: int
    label: str
    run_id: str
    target: str
    colour: str
    marker: str
    tables: dict[str, MetricsTable]

    @property
    def baseline(self) -> MetricsTable:
        """The table of the `direct` attack (or the first attack if the run had none)."""
        return self.tables.get(BASELINE_ATTACK) or next(iter(self.tables.values()))


def build_series(runs: Sequence[LoadedRun]) -> list[Series]:
    """Return the series of a report, in run order then target order.

    Labels are the target spec, suffixed with the run id when several runs are shown.
    """
    out: list[Series] = []
    several_runs = len(runs) > 1
    for run in runs:
        for target in run.targets:
            tables = {t.attack: t for t in run.tables if t.target == target}
            if not tables:
                continue
            i = len(out)
            out.append(
                Series(
                    key=f"s{i}",
                    number=i + 1,
                    label=f"{target} · {run.run_id}" if several_runs else target,
                    run_id=run.run_id,
                    target=target,
                    colour=series_colour(i),
                    marker=series_marker(i),
                    tables=tables,
                )
            )
    return out
