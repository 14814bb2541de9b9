"""The Python API: `evaluate()` and `await evaluate_async()`, mirroring `tightrope run`.

Both take the command line's options by name with the same defaults (run/config.py and
run/defaults.py define them once). `evaluate()` also works where an event loop is already
running (a Jupyter notebook): the run then goes to a worker thread with its own loop.
"""

from __future__ import annotations

import asyncio
import warnings
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from tightrope import eventloop
from tightrope.multiple_choice import DEFAULT_CHOICE_SCORING, ChoiceScoring
from tightrope.records import GenerationConfig
from tightrope.run.config import RunConfig
from tightrope.run.defaults import (
    DEFAULT_ATTACKS,
    DEFAULT_COMBINE,
    DEFAULT_MAX_ERROR_RATE,
    DEFAULT_OUT,
    DEFAULT_SUITES,
    DEFAULT_TARGET,
)
from tightrope.run.resolution import resolve
from tightrope.run.result import RunResult
from tightrope.run.runner import run_async
from tightrope.targets.cached import DEFAULT_CACHE_MODE, CacheMode


async def evaluate_async(
    *,
    target: str | Sequence[str] = DEFAULT_TARGET,
    suites: Sequence[str] = DEFAULT_SUITES,
    attacks: Sequence[str] = DEFAULT_ATTACKS,
    judges: Sequence[str] = (),
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
    generation: GenerationConfig | None = None,
    target_settings: Mapping[str, Any] | None = None,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    attacker_model: str | None = None,
    judge_model: str | None = None,
    judge_panel: Sequence[str] = (),
    combine: str = DEFAULT_COMBINE,
    out: Path | str = DEFAULT_OUT,
    cache: CacheMode = DEFAULT_CACHE_MODE,
    max_cost: float | None = None,
    log_to: Sequence[str] = (),
    choice_scoring: ChoiceScoring = DEFAULT_CHOICE_SCORING,
) -> RunResult:
    """Run an evaluation inside the caller's event loop and return its RunResult.

    Each argument has the meaning of the command-line option of the same name, with the same
    defaults (no `judges` means the CLI's default judges); the result holds the metrics tables,
    the records and the run id in the store under `out`. `log_to` (`--log-to`'s specs, e.g.
    `["mlflow:file:///tmp/mlruns"]`) logs the finished run to experiment trackers: an unknown
    tracker or a missing SDK raises InputError before the run; a tracker that fails afterwards
    is a warning, and the run is returned all the same.
    """
    config = RunConfig(
        targets=(target,) if isinstance(target, str) else tuple(target),
        suites=tuple(suites),
        attacks=tuple(attacks),
        judges=tuple(judges),
        limit=limit,
        sample=sample,
        sample_seed=sample_seed,
        generation=generation or GenerationConfig(),
        target_settings=dict(target_settings or {}),
        max_error_rate=max_error_rate,
        attacker_model=attacker_model,
        judge_model=judge_model,
        judge_panel=tuple(judge_panel),
        combine=combine,
        cache=cache,
        max_cost=max_cost,
        choice_scoring=choice_scoring,
    )
    trackers = _checked_trackers(log_to)
    resolved = resolve(config, notify=lambda notice: warnings.warn(notice, stacklevel=4))
    result = await run_async(resolved, out=Path(out))
    if trackers:
        _log_to(trackers, Path(out), result.run_id)
    return result


def _checked_trackers(specs: Sequence[str]) -> list[Any]:
    """Return the trackers of `log_to`, their SDKs checked (InputError before the run)."""
    if isinstance(specs, str):
        specs = (specs,)
    if not specs:
        return []
    # Imported on use: tracking sits above the run engine (it writes the report).
    from tightrope.tracking import checked_trackers

    return checked_trackers(tuple(specs))


def _log_to(trackers: list[Any], out: Path, run_id: str) -> None:
    """Log the stored run to `trackers`; each failure is one warning (the run is stored)."""
    from tightrope.tracking import log_run

    for outcome in log_run(trackers, out, run_id):
        if not outcome.ok:
            warnings.warn(
                f"logging run {run_id} to {outcome.tracker} failed: {outcome.detail}; the run "
                f"is stored: log it again with tightrope report {run_id} --out {out} "
                f"--log-to {outcome.tracker}",
                stacklevel=3,
            )


def evaluate(
    *,
    target: str | Sequence[str] = DEFAULT_TARGET,
    suites: Sequence[str] = DEFAULT_SUITES,
    attacks: Sequence[str] = DEFAULT_ATTACKS,
    judges: Sequence[str] = (),
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
    generation: GenerationConfig | None = None,
    target_settings: Mapping[str, Any] | None = None,
    max_error_rate: float = DEFAULT_MAX_ERROR_RATE,
    attacker_model: str | None = None,
    judge_model: str | None = None,
    judge_panel: Sequence[str] = (),
    combine: str = DEFAULT_COMBINE,
    out: Path | str = DEFAULT_OUT,
    cache: CacheMode = DEFAULT_CACHE_MODE,
    max_cost: float | None = None,
    log_to: Sequence[str] = (),
    choice_scoring: ChoiceScoring = DEFAULT_CHOICE_SCORING,
) -> RunResult:
    """Run an evaluation from Python and return its RunResult (mirrors `tightrope run`).

    The arguments are `evaluate_async`'s. Called where an event loop is already running (a
    notebook), the run goes to a worker thread with its own loop; use `await evaluate_async(...)`
    there to stay on the caller's loop.
    """
    run = evaluate_async(
        target=target,
        suites=suites,
        attacks=attacks,
        judges=judges,
        limit=limit,
        sample=sample,
        sample_seed=sample_seed,
        generation=generation,
        target_settings=target_settings,
        max_error_rate=max_error_rate,
        attacker_model=attacker_model,
        judge_model=judge_model,
        judge_panel=judge_panel,
        combine=combine,
        out=out,
        cache=cache,
        max_cost=max_cost,
        log_to=log_to,
        choice_scoring=choice_scoring,
    )
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return eventloop.run(run)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="tightrope-evaluate") as pool:
        return pool.submit(eventloop.run, run).result()
