"""The async pipeline: plan, generate, judge, aggregate. Each stage reads and writes the store.

A run is identified by a fingerprint of everything that defines it (config, suite checksums,
target and judge versions). Giving the same command again resumes an unfinished run with that
fingerprint, or starts a new one over the response cache, which then makes zero model calls.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tightrope._version import __version__
from tightrope.attacks import get_attack
from tightrope.datasets import Suite, load_suite
from tightrope.errors import InputError
from tightrope.judges import Judge
from tightrope.judges.build import build_judges
from tightrope.metrics.rates import MetricsTable, judged_table, metrics_table
from tightrope.records import Attempt, Behavior, GenerationConfig, Record, Verdict, stable_hash
from tightrope.run.adaptive import prepare_adaptive
from tightrope.run.pricing import RoleUsage, load_prices, usage_totals
from tightrope.run.stages import (
    NoProgress,
    Progress,
    generate_stage,
    judge_stage,
)
from tightrope.store.store import Store
from tightrope.targets import DEFAULT_TARGET, Target, get_target


class RunConfig(BaseModel):
    """Everything a user chose for a run; stored with it so the run can be repeated exactly."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    targets: tuple[str, ...] = (DEFAULT_TARGET,)
    suites: tuple[str, ...] = ("starter",)
    attacks: tuple[str, ...] = ("direct",)
    judges: tuple[str, ...] = ("refusal",)
    limit: int | None = Field(default=None, ge=1)
    sample: int | None = Field(default=None, ge=1)
    sample_seed: int = 0
    generation: GenerationConfig = GenerationConfig()
    max_error_rate: float = Field(default=0.05, ge=0.0, le=1.0)
    # Model that writes the prompts of adaptive attacks (pair, tap); settings as for targets.
    attacker_model: str | None = None
    # Model of the LLM judges (a target spec), and an optional judge panel (`a,b=SPEC,c`)
    # combined by `combine` (majority, any, all, mean; see judges/panel.py).
    judge_model: str | None = None
    judge_panel: tuple[str, ...] = ()
    combine: str = "majority"
    # Backend settings (concurrency, timeouts, batch size): they change speed, not outputs,
    # so they are stored with the run but left out of its fingerprint.
    target_settings: dict[str, Any] = Field(default_factory=dict)


@dataclass
class RunResult:
    """What a run produced: its id, where it is stored, the tables and what it cost."""

    run_id: str
    store_path: Path
    tables: list[MetricsTable]
    instrument: dict[str, Any]
    # Calls to target and judge models (adaptive attackers included), and those the cache answered.
    model_calls: int = 0
    cache_hits: int = 0
    resumed: bool = False
    errors: int = 0
    error_rate: float = 0.0
    max_error_rate: float = 0.05
    judge_names: dict[str, str] = field(default_factory=dict)
    usage: list[RoleUsage] = field(default_factory=list)
    # Judges of the run whose verdicts carry a score (goodness@k needs one).
    scored_judges: frozenset[str] = frozenset()
    _records: list[Record] | None = field(default=None, repr=False)

    @property
    def records(self) -> list[Record]:
        """Every record of the run in plan order, read from the store on first use.

        A run never builds these itself (a 100k-record run aggregates from SQL rows in flat
        memory); asking for them costs the memory of all records at once.
        """
        if self._records is None:
            with _opened(self.store_path) as store:
                self._records = store.records(self.run_id)
        return self._records

    def panel_verdicts(self) -> list[tuple[str, Verdict]]:
        """Return (panel name, verdict) for every verdict of a judge panel in the run."""
        with _opened(self.store_path) as store:
            return list(store.panel_verdicts(self.run_id))

    @property
    def error_rate_exceeded(self) -> bool:
        """True when more records failed than --max-error-rate allows."""
        return self.error_rate > self.max_error_rate

    def to_pandas(self) -> object:
        """Return the records as a pandas DataFrame, one row per record and judge."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("to_pandas() needs pandas: pip install pandas") from None
        rows = []
        for r in self.records:
            row = {
                "run_id": r.run_id,
                "behavior_id": r.behavior.id,
                "side": r.behavior.side,
                "category": r.behavior.category,
                "target": r.attempt.target,
                "attack": r.attempt.attack,
                "response": r.response.text if r.response else None,
                "error": r.response.error if r.response else "not generated",
            }
            row.update({f"verdict:{name}": v.label for name, v in r.verdicts.items()})
            rows.append(row)
        return pd.DataFrame(rows)


def new_run_id() -> str:
    """Return a sortable, unique run id: UTC timestamp plus random suffix."""
    return datetime.now(UTC).strftime("%Y%m%d-%H%M%S-") + secrets.token_hex(3)


def load_suites(config: RunConfig) -> list[Suite]:
    """Load every suite of the config, applying --sample then --limit to each; ids unique overall.

    `--sample N` draws a stratified sample by category that keeps pairs together
    (datasets/sampling.py); `--limit N` then keeps the first N behaviors.
    """
    suites = [
        load_suite(name).sample(config.sample, seed=config.sample_seed).limit(config.limit)
        for name in config.suites
    ]
    seen: dict[str, str] = {}
    for s in suites:
        for b in s.behaviors:
            if b.id in seen:
                raise InputError(
                    f"behavior id {b.id!r} occurs in suites {seen[b.id]!r} and {s.name!r}; "
                    "give each suite once"
                )
            seen[b.id] = s.name
    return suites


def cache_key(attempt: Attempt, target: Target, generation: GenerationConfig) -> str:
    """Return the cache key of a generation: a hash of everything that can change its output."""
    return stable_hash(
        {
            "target": target.spec,
            "target_version": target.version,
            "generation": generation.model_dump(),
            "messages": [m.model_dump() for m in attempt.messages],
        }
    )


def plan(
    behaviors: Sequence[Behavior],
    targets: Sequence[Target],
    attack_names: Sequence[str],
    generation: GenerationConfig,
) -> Iterator[tuple[Attempt, str]]:
    """Yield every attempt of the run with its cache key, in a deterministic order.

    A generator: the store takes the plan row by row, so it is never held whole in memory.
    """
    for t in targets:
        for name in attack_names:
            atk = get_attack(name)
            for b in behaviors:
                for i, variant in enumerate(atk.variants(b)):
                    attempt = Attempt(
                        id=f"{b.id}/{name}/{i}@{t.spec}",
                        behavior_id=b.id,
                        target=t.spec,
                        attack=name,
                        attack_params={**atk.params, **variant.params},
                        index=i,
                        messages=variant.messages,
                    )
                    yield attempt, cache_key(attempt, t, generation)


def primary_judges(judges: dict[str, Judge]) -> tuple[str, str | None]:
    """Return (refusal judge, harm judge or None): the first of each kind given."""
    refusal = next((n for n, j in judges.items() if j.kind == "refusal"), None)
    harm = next((n for n, j in judges.items() if j.kind == "harm"), None)
    if refusal is None:
        raise InputError("give at least one refusal judge with --judge (e.g. --judge refusal)")
    return refusal, harm


def aggregate(
    records: Sequence[Record], config: RunConfig, judge_kinds: dict[str, Judge]
) -> list[MetricsTable]:
    """Return one metrics table per target and attack, from stored records only."""
    refusal, harm = primary_judges(judge_kinds)
    return [
        metrics_table(records, target=t, attack=a, refusal_judge=refusal, harm_judge=harm)
        for t in config.targets
        for a in config.attacks
    ]


def aggregate_stored(
    store: Store, run_id: str, config: RunConfig, judges: dict[str, Judge]
) -> list[MetricsTable]:
    """Return one metrics table per target and attack, streamed from the store's rows.

    Equal to `aggregate` over `store.records(run_id)`, without building a `Record` per row.
    """
    refusal, harm = primary_judges(judges)
    rows = list(store.judged(run_id, refusal_judge=refusal, harm_judge=harm))
    return [
        judged_table(rows, target=t, attack=a, refusal_judge=refusal, harm_judge=harm)
        for t in config.targets
        for a in config.attacks
    ]


def count_errors(records: Sequence[Record], judge_names: Sequence[str]) -> int:
    """Return how many records failed: a failed generation, or any judge error / missing verdict."""
    errors = 0
    for r in records:
        if (
            r.response is None
            or not r.response.ok
            or any(n not in r.verdicts or not r.verdicts[n].ok for n in judge_names)
        ):
            errors += 1
    return errors


async def run_async(
    config: RunConfig,
    *,
    out: Path,
    resume: str | None = None,
    progress: Progress | None = None,
    on_start: Callable[[str, bool], None] | None = None,
) -> RunResult:
    """Run (or resume) an evaluation and return its result; every row lands in the store."""
    progress = progress or NoProgress()
    if resume is not None:
        with _opened(out) as store:
            config = RunConfig.model_validate(store.run(resume).config)
    # Everything that can fail on bad input is checked before the store is created.
    config = config.model_copy(update={"attacks": _with_direct(config.attacks)})
    judges = build_judges(
        config.judges,
        judge_model=config.judge_model,
        panel=config.judge_panel,
        combine=config.combine,
    )
    primary_judges(judges)
    targets = {spec: get_target(spec, **config.target_settings) for spec in config.targets}
    adaptive = prepare_adaptive(
        config.attacks,
        targets,
        attacker_model=config.attacker_model,
        judge_model=config.judge_model,
        target_settings=config.target_settings,
    )
    suites = load_suites(config)
    instrument: dict[str, Any] = {
        "tightrope_version": __version__,
        "suites": [
            {"name": s.name, "version": s.version, "checksum": s.checksum, "n": len(s.behaviors)}
            for s in suites
        ],
        "targets": [{"spec": t.spec, "version": t.version} for t in targets.values()],
        "judges": [{"name": n, "version": j.version, "kind": j.kind} for n, j in judges.items()],
        "generation": config.generation.model_dump(),
        **adaptive.instrument(),
    }
    with _opened(out) as store:
        fingerprint = stable_hash(
            {"config": config.model_dump(mode="json"), "instrument": instrument}
        )
        run_id = resume or store.resumable_run(fingerprint)
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
        behaviors = [b for s in suites for b in s.behaviors]
        store.add_plan(
            run_id,
            behaviors,
            plan(behaviors, list(targets.values()), config.attacks, config.generation),
        )
        # From here on the store holds the plan; only adaptive attacks need the behaviors
        # again, so a large static run drops them and streams everything else from SQLite.
        if not adaptive.attacks:
            del behaviors[:]
        del suites
        calls, hits = await generate_stage(store, run_id, targets, config.generation, progress)
        loops = await adaptive.run(
            store, run_id, list(targets.values()), behaviors, config.generation, progress
        )
        calls, hits = calls + loops.calls, hits + loops.hits
        judge_calls, judge_hits = await judge_stage(store, run_id, judges, progress)
        calls, hits = calls + judge_calls, hits + judge_hits
        await close_clients([*targets.values(), *judges.values()])
        tables = aggregate_stored(store, run_id, config, judges)
        total = store.counts(run_id)["attempts"]
        errors = store.failed_attempts(run_id, list(judges))
        usage = usage_totals("target", store.usage_rows(run_id), load_prices())
        store.finish_run(run_id)
        return RunResult(
            run_id=run_id,
            store_path=store.path,
            tables=tables,
            instrument=instrument,
            model_calls=calls,
            cache_hits=hits,
            resumed=resumed,
            errors=errors,
            error_rate=errors / total if total else 0.0,
            max_error_rate=config.max_error_rate,
            usage=usage + loops.usage,
            scored_judges=frozenset(store.scored_judges(run_id)),
        )


async def close_clients(objects: Sequence[object]) -> None:
    """Close the HTTP clients of remote backends while the event loop still runs.

    Left to the garbage collector, an SDK client closes after asyncio.run() has shut its loop
    ("Event loop is closed") or, in a long-lived process, in the middle of the next run.
    """
    for obj in objects:
        close = getattr(obj, "aclose", None)
        if callable(close):
            await close()


@contextmanager
def _opened(out: Path) -> Iterator[Store]:
    store = Store.open(out)
    try:
        yield store
    finally:
        store.close()


def _with_direct(attacks: Sequence[str]) -> tuple[str, ...]:
    """Return the attacks with `direct` first: the baseline runs in every run."""
    return ("direct", *[a for a in attacks if a != "direct"])


def evaluate(
    *,
    target: str | Sequence[str] = DEFAULT_TARGET,
    suites: Sequence[str] = ("starter",),
    attacks: Sequence[str] = ("direct",),
    judges: Sequence[str] = ("refusal",),
    limit: int | None = None,
    sample: int | None = None,
    sample_seed: int = 0,
    generation: GenerationConfig | None = None,
    target_settings: Mapping[str, Any] | None = None,
    max_error_rate: float = 0.05,
    attacker_model: str | None = None,
    judge_model: str | None = None,
    judge_panel: Sequence[str] = (),
    combine: str = "majority",
    out: Path | str = "tightrope-runs",
) -> RunResult:
    """Run an evaluation from Python and return its RunResult (mirrors `tightrope run`).

    Each argument has the meaning of the command-line option of the same name; the result
    holds the metrics tables, the records and the run id in the store under `out`.
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
    )
    return asyncio.run(run_async(config, out=Path(out)))
