"""Every number tightrope reports, as plain functions over records.

`rates.py` (not_unsafe, not_overrefuse and their tables), `intervals.py` (Wilson and the
clustered bootstrap), `attacks.py` (ASR per attack, best-of-N curves, goodness@k),
`paired.py` (paired differences and McNemar), `agreement.py` (judge agreement with humans).
"""

from tightrope.metrics.intervals import cluster_bootstrap_interval, wilson_interval
from tightrope.metrics.rates import (
    OVERALL,
    CategoryRow,
    MetricsTable,
    Rate,
    judged_table,
    metrics_table,
    rate,
)

__all__ = [
    "OVERALL",
    "CategoryRow",
    "MetricsTable",
    "Rate",
    "cluster_bootstrap_interval",
    "judged_table",
    "metrics_table",
    "rate",
    "wilson_interval",
]
