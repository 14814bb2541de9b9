"""The runner: resolve, plan, then the generate, adaptive and judge stages over the store.

A run is identified by a fingerprint of everything that defines it (config, suite checksums,
target and judge versions). Giving the same command again resumes an unfinished run with that
fingerprint, or starts a new one over the response cache, which then makes zero model calls.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from tightrope.judges import Judge
from tightrope.metrics import MetricsTable, judged_table, metrics_table
from tightrope.multiple_choice import scored_options
from tightrope.records import Record, judge_applies
from tightrope.run.adaptive import adaptive_stage, loop_usage
from tightrope.run.config import SESSION_OPTIONS, RunConfig
from tightrope.run.executors._base import Executor
from tightrope.run.executors.local import LocalRun
from tightrope.run.generate import generate_stage
from tightrope.run.judge import judge_stage
from tightrope.run.overlap import JudgeAlong, overlapping
from tightrope.run.plan import PlanStream, plan
from tightrope.run.pricing import load_prices, usage_totals
from tightrope.run.progress import NoProgress, Progress
from tightrope.run.resolution import ResolvedRun, primary_judges, resolve
from tightrope.run.result import RunResult, opened
from tightrope.store import Store
from tightrope.store.lock import run_lock
from tightrope.targets._base import is_local
from tightrope.targets.cached import CostLimitReached


def new_run_id() -> str:
    """Return a sortable, unique run id: UTC timestamp plus random suffix."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def cache_record(
    config: RunConfig, counts: Mapping[str, int], calls: int, hits: int
) -> dict[str, Any]:
    """Return what the instrument records about the cache: the mode, how many of the run's
    responses came from the cache (over every session of a resumed run), and this session's
    model calls and cache hits (judges' and attackers' included)."""
    return {
        "mode": config.cache,
        "responses": counts["responses"],
        "responses_from_cache": counts["from_cache"],
        "model_calls": calls,
        "cache_hits": hits,
    }


def aggregate(
    records: Sequence[Record], config: RunConfig, judges: Mapping[str, Judge]
) -> list[MetricsTable]:
    """Return one metrics table per target and attack, from records (the reference path)."""
    refusal, harm = primary_judges({n: j.kind for n, j in judges.items()})
    return [
        metrics_table(records, target=t, attack=a, refusal_judge=refusal, harm_judge=harm)
        for t in config.targets
        for a in config.attacks
    ]


def aggregate_stored(store: Store, run_id: str, resolved: ResolvedRun) -> list[MetricsTable]:
    """Return one metrics table per target and attack, streamed from the store's rows.

    Equal to `aggregate` over `store.records(run_id)`, without building a `Record` per row.
    """
    refusal, harm = resolved.refusal_judge, resolved.harm_judge
    rows = list(store.judged(run_id, refusal_judge=refusal, harm_judge=harm))
    return [
        judged_table(rows, target=t, attack=a, refusal_judge=refusal, harm_judge=harm)
        for t in resolved.config.targets
        for a in resolved.config.attacks
    ]


async def run_async(
    config: RunConfig | ResolvedRun,
    *,
    out: Path,
    resume: str | None = None,
    progress: Progress | None = None,
    on_start: Callable[[str, bool], None] | None = None,
    executor: Executor | None = None,
) -> RunResult:
    """Run (or resume) an evaluation and return its result; every row lands in the store.

    `config` may be already resolved (the CLI resolves once to report bad input early). With
    `resume`, the stored config of that run is used instead, except for the options of this
    session alone (`SESSION_OPTIONS`: the cache mode and the cost cap), which come from `config`.
    The `executor` carries out the model and judge calls (this process by default;
    `run/executors/`).
    """
    progress = progress or NoProgress()
    if resume is not None:
        given = config.config if isinstance(config, ResolvedRun) else config
        with opened(out) as store:
            stored = RunConfig.model_validate(store.run(resume).config)
        config = stored.model_copy(update={k: getattr(given, k) for k in SESSION_OPTIONS})
    # Everything that can fail on bad input is checked before the store is created.
    resolved = config if isinstance(config, ResolvedRun) else resolve(config)
    config = resolved.config
    instrument = resolved.instrument()
    with opened(out) as store:
        resolved.attach(store)
        fingerprint = resolved.fingerprint(instrument)
        with run_lock(store.path, fingerprint):
            return await _run_locked(
                store, resolved, instrument, fingerprint, resume, progress, on_start, executor
            )


async def _run_locked(
    store: Store,
    resolved: ResolvedRun,
    instrument: dict[str, Any],
    fingerprint: str,
    resume: str | None,
    progress: Progress,
    on_start: Callable[[str, bool], None] | None,
    executor: Executor | None = None,
) -> RunResult:
    """Create or resume the run with this fingerprint and run its stages (the lock is held)."""
    config = resolved.config
    run_id = resume or store.resumable_run(fingerprint)
    if (
        run_id is not None
        and resume is None
        and not resolved.can_resume(store.run(run_id).instrument, instrument)
    ):
        run_id = None  # made by an edited python: function: start afresh
    resumed = run_id is not None
    if run_id is None:
        run_id = new_run_id()
        store.create_run(
            run_id,
            fingerprint=fingerprint,
            config=config.model_dump(mode="json"),
            instrument=instrument,
        )
    if on_start is not None:
        on_start(run_id, resumed)
    behaviors = [b for s in resolved.suites for b in s.behaviors]
    scored = scored_options(behaviors, config.choice_scoring)
    planned = PlanStream(
        store,
        run_id,
        behaviors,
        plan(
            behaviors,
            resolved.targets,
            resolved.static_attacks,
            config.generation,
            choice_options=scored,
        ),
    )
    if any(is_local(spec) for spec in config.targets):
        # A local target's batches use every core: the plan is stored before they start.
        planned.write_all()
    # Otherwise the generate stage writes the plan chunk by chunk as it sends the first
    # requests (run/plan.py). Only adaptive attacks need the behaviors after planning, so a
    # large static run drops them (the plan holds them until it is written) and streams
    # everything else from SQLite.
    if not resolved.adaptive_attacks:
        behaviors = []
    resolved.suites = []
    ex = None if executor is None else executor.bind(resolved)
    # The judges that judge along generation (run/overlap.py); the judge stage does the rest.
    along_judges = overlapping(resolved.judges, config.targets)
    along = JudgeAlong(store, run_id, along_judges, ex or LocalRun()) if along_judges else None
    try:
        await generate_stage(
            store,
            run_id,
            resolved.models,
            config.generation,
            progress,
            ex,
            plan=planned,
            choice_options=scored,
            along=along,
        )
        computed = await adaptive_stage(
            store,
            run_id,
            resolved.adaptive_attacks,
            resolved.models,
            resolved.targets,
            behaviors,
            config.generation,
            progress,
        )
        resolved.release_targets()
        await judge_stage(store, run_id, resolved.judges, progress, ex)
    except CostLimitReached as exc:
        await resolved.aclose()
        raise CostLimitReached(f"{exc}; run {run_id} stopped and is saved") from None
    except BaseException:
        # An interrupt (Ctrl-C cancels the run) or a failure: close the HTTP clients while the
        # loop still runs (aiohttp warns about a session left open).
        await resolved.aclose()
        raise
    await resolved.aclose()
    calls, hits = resolved.calls()
    tables = aggregate_stored(store, run_id, resolved)
    counts = store.counts(run_id)
    total = counts["attempts"]
    errors = store.failed_attempts(
        run_id,
        [n for n in resolved.judges if judge_applies(n, "harmful")],
        choice_judges=[n for n in resolved.judges if judge_applies(n, "choice")],
    )
    usage = usage_totals("target", store.usage_rows(run_id), load_prices())
    cache_use = cache_record(config, counts, calls, hits)
    store.annotate_run(run_id, "cache", cache_use)
    instrument = {**instrument, "cache": cache_use}
    store.finish_run(run_id)
    return RunResult(
        run_id=run_id,
        store_path=store.path,
        tables=tables,
        instrument=instrument,
        model_calls=calls + computed.calls,
        cache_hits=hits + computed.hits,
        resumed=resumed,
        errors=errors,
        error_rate=errors / total if total else 0.0,
        max_error_rate=config.max_error_rate,
        usage=usage + loop_usage(resolved.models),
        scored_judges=frozenset(store.scored_judges(run_id)),
    )
