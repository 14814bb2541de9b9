"""Every number tightrope reports, as plain functions over records.

`collapse.py` (one outcome per behavior from its attempts: the one rule every per-behavior
figure uses), `rates.py` (not_unsafe, not_overrefuse and their tables; which judges drive
them), `errors.py` (which records failed, counted one way), `intervals.py` (Wilson and the
clustered bootstrap), `attacks.py` (ASR per attack, best-of-N curves, goodness@k), `paired.py`
(paired differences and McNemar between two runs), `agreement.py` (judge agreement with
humans).

This package reads records only: it never imports the store, the runner, the reports, the
attacks, the judges or the command line (tests/test_metrics_imports.py).
"""

from tightrope.metrics.collapse import Outcome, collapse, collapse_all, collapse_behaviors
from tightrope.metrics.errors import ErrorCounts, count_errors, error_counts
from tightrope.metrics.intervals import cluster_bootstrap_interval, wilson_interval
from tightrope.metrics.rates import (
    OVERALL,
    CategoryRow,
    MetricsTable,
    NoRefusalJudge,
    Rate,
    judged_table,
    metrics_table,
    primary_judges,
    rate,
)

__all__ = [
    "OVERALL",
    "CategoryRow",
    "ErrorCounts",
    "MetricsTable",
    "NoRefusalJudge",
    "Outcome",
    "Rate",
    "cluster_bootstrap_interval",
    "collapse",
    "collapse_all",
    "collapse_behaviors",
    "count_errors",
    "error_counts",
    "judged_table",
    "metrics_table",
    "primary_judges",
    "rate",
    "wilson_interval",
]
