"""The run engine: config and defaults, one resolution step, the plan, the generate / adaptive /
judge stages, the runner, usage and pricing.

Names are imported on first use (PEP 562), so the command line can read the defaults in
`run/config.py` without loading the engine.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from tightrope.run.api import evaluate, evaluate_async
    from tightrope.run.config import RunConfig
    from tightrope.run.resolution import ResolvedRun, resolve
    from tightrope.run.result import RunResult
    from tightrope.run.runner import run_async

_EXPORTS = {
    "RunConfig": "tightrope.run.config",
    "ResolvedRun": "tightrope.run.resolution",
    "resolve": "tightrope.run.resolution",
    "RunResult": "tightrope.run.result",
    "evaluate": "tightrope.run.api",
    "evaluate_async": "tightrope.run.api",
    "run_async": "tightrope.run.runner",
}

__all__ = [
    "ResolvedRun",
    "RunConfig",
    "RunResult",
    "evaluate",
    "evaluate_async",
    "resolve",
    "run_async",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'tightrope.run' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
