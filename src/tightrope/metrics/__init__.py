"""Every number tightrope reports, as plain functions over records.

`collapse.py` (one outcome per behavior from its attempts: the one rule every per-behavior
figure uses), `rates.py` (not_unsafe, not_overrefuse and their tables), `intervals.py`
(Wilson and the clustered bootstrap), `attacks.py` (ASR per attack, best-of-N curves,
goodness@k), `paired.py` (paired differences and McNemar between two runs), `agreement.py`
(judge agreement with humans).
"""

from tightrope.metrics.collapse import Outcome, collapse, collapse_all, collapse_behaviors
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
    "Outcome",
    "Rate",
    "cluster_bootstrap_interval",
    "collapse",
    "collapse_all",
    "collapse_behaviors",
    "judged_table",
    "metrics_table",
    "rate",
    "wilson_interval",
]
