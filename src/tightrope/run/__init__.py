"""The run engine: config, resolution, plan, the generate / adaptive / judge stages, the runner."""

from tightrope.run.runner import RunConfig, RunResult, evaluate, run_async

__all__ = ["RunConfig", "RunResult", "evaluate", "run_async"]
