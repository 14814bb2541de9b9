"""tightrope: evaluate LLM safety on both sides of the rope, with honest error bars.

Public API: `evaluate()` runs an evaluation from Python; the records, the store and the
metrics are importable from here. Everything not re-exported here may change.
"""

from tightrope._version import __version__
from tightrope.metrics import CategoryRow, MetricsTable, Rate, metrics_table
from tightrope.records import (
    Attempt,
    Behavior,
    GenerationConfig,
    Message,
    Record,
    Response,
    Verdict,
)
from tightrope.runner import RunConfig, RunResult, evaluate, run_async
from tightrope.store import Store

__all__ = [
    "Attempt",
    "Behavior",
    "CategoryRow",
    "GenerationConfig",
    "Message",
    "MetricsTable",
    "Rate",
    "Record",
    "Response",
    "RunConfig",
    "RunResult",
    "Store",
    "Verdict",
    "__version__",
    "evaluate",
    "metrics_table",
    "run_async",
]
