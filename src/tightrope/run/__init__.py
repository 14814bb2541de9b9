"""The run engine: config and defaults, one resolution step, the plan, the generate / adaptive /
judge stages, the runner, usage and pricing."""

from tightrope.run.config import RunConfig
from tightrope.run.resolve import ResolvedRun, resolve
from tightrope.run.result import RunResult
from tightrope.run.runner import evaluate, run_async

__all__ = ["ResolvedRun", "RunConfig", "RunResult", "evaluate", "resolve", "run_async"]
