"""tightrope: evaluate LLM safety on both sides of the rope, with honest error bars.

Public API: `evaluate()` runs an evaluation from Python; the records, the store and the
metrics are importable from here. Everything not re-exported here may change.

Names are imported on first use (PEP 562), so `tightrope --help` does not pay for pydantic
models it never touches.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from tightrope._version import __version__

if TYPE_CHECKING:
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
    from tightrope.run import RunConfig, RunResult, evaluate, evaluate_async, run_async
    from tightrope.store import Store

_EXPORTS = {
    "CategoryRow": "tightrope.metrics",
    "MetricsTable": "tightrope.metrics",
    "Rate": "tightrope.metrics",
    "metrics_table": "tightrope.metrics",
    "Attempt": "tightrope.records",
    "Behavior": "tightrope.records",
    "GenerationConfig": "tightrope.records",
    "Message": "tightrope.records",
    "Record": "tightrope.records",
    "Response": "tightrope.records",
    "Verdict": "tightrope.records",
    "RunConfig": "tightrope.run",
    "RunResult": "tightrope.run",
    "evaluate": "tightrope.run",
    "evaluate_async": "tightrope.run",
    "run_async": "tightrope.run",
    "Store": "tightrope.store",
}

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
    "evaluate_async",
    "metrics_table",
    "run_async",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tightrope' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
