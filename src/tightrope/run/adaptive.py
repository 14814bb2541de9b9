"""The runner's adaptive stage: runs PAIR, TAP and GCG against each target, one behavior at a time.

Adaptive attacks (attacks/adaptive.py) make their prompts from earlier answers, so they cannot be
planned ahead like static attempts. This stage runs each attack's loop for every harmful
behavior and target and gives it a `LoopContext` in which

* every model call (attacker, target, in-loop judge) and every optimisation result (GCG) goes
  through the run store's response cache, keyed like `runner.cache_key`: a killed run given
  again replays the cached calls with zero model calls up to where it stopped, then continues;
  a finished run given again makes no call at all;
* every target query lands in the store as it happens, as an `Attempt` (its position in the
  search in `attack_params`) with its response, and the in-loop judge's reading as the
  `loop-judge` verdict; the run's own judges judge them afterwards in the judge stage;
* an attacker call that failed becomes an error record, never a silent gap (invariant 1), and
  so does a search that ends without a single target query (an attacker that never wrote a
  usable prompt): the behavior is then an error, not "not broken".

A resumed search that takes another path than before (a call that failed then succeeds now)
replaces the stored attempts it no longer makes, so the store always holds one search.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tightrope.attacks import get_attack
from tightrope.attacks.adaptive import (
    LOOP_VERDICT,
    AdaptiveAttack,
    Query,
)
from tightrope.attacks.cached_calls import CachedCalls, call_key
from tightrope.records import (
    Attempt,
    Behavior,
    GenerationConfig,
    Message,
    Response,
    Verdict,
    stable_hash,
)
from tightrope.run.pricing import RoleUsage, load_prices, usage_by_spec
from tightrope.run.stages import NoProgress, Progress
from tightrope.store.store import Store
from tightrope.targets import Target, get_target


@dataclass
class StageResult:
    """What the stage cost: model calls made, calls answered from the cache, usage per role."""

    calls: int = 0
    hits: int = 0
    usage: list[RoleUsage] = field(default_factory=list)


class _Unit:
    """The LoopContext of one attack on one behavior and one target."""

    def __init__(
        self,
        stage: _StageRun,
        attack: AdaptiveAttack,
        behavior: Behavior,
        target: Target,
    ) -> None:
        self.stage = stage
        self.attack = attack
        self.behavior = behavior
        self._target = target
        self.next_index = 0
        self.produced: set[str] = set()

    @property
    def target(self) -> Target:
        """The model under attack."""
        return self._target

    @property
    def generation(self) -> GenerationConfig:
        """The run's generation settings."""
        return self.stage.generation

    def model(self, spec: str) -> Target:
        """Return the run's backend for a model spec."""
        return self.stage.models[spec]

    def _attempt(self, query: Query, index: int) -> Attempt:
        b, t = self.behavior, self._target
        return Attempt(
            id=f"{b.id}/{self.attack.name}/{query.position}@{t.spec}",
            behavior_id=b.id,
            target=t.spec,
            attack=self.attack.name,
            attack_params=query.params,
            index=index,
            messages=query.messages,
        )

    async def ask(
        self, role: str, spec: str, calls: Sequence[tuple[Sequence[Message], GenerationConfig]]
    ) -> list[Response]:
        """Return one response per call to model `spec`, cache first."""
        responses, _ = await self.stage.calls.call(role, self.stage.models[spec], calls)
        return responses

    async def query(self, queries: Sequence[Query]) -> list[tuple[str, Response]]:
        """Query the target (cache first) and store each query as an attempt with its response."""
        attempts = [self._attempt(q, self.next_index + i) for i, q in enumerate(queries)]
        self.next_index += len(queries)
        gen = self.stage.generation
        responses, from_cache = await self.stage.calls.call(
            "target", self._target, [(a.messages, gen) for a in attempts]
        )
        self.stage.save(
            [
                (a, call_key(self._target, a.messages, gen), r, c)
                for a, r, c in zip(attempts, responses, from_cache, strict=True)
            ]
        )
        self.produced.update(a.id for a in attempts)
        return [(a.id, r) for a, r in zip(attempts, responses, strict=True)]

    def record_loop_verdicts(self, items: Sequence[tuple[str, Verdict]]) -> None:
        """Store the in-loop judge's verdicts under the name `loop-judge`."""
        if items:
            self.stage.store.put_verdicts(
                self.stage.run_id, [(aid, LOOP_VERDICT, v) for aid, v in items]
            )

    def record_failure(self, query: Query, error: str) -> None:
        """Store an error record at the query's position; nothing was sent to the target."""
        attempt = self._attempt(query, self.next_index)
        key = stable_hash({"failed": attempt.id, "messages": [m.content for m in query.messages]})
        self.stage.save([(attempt, key, Response(error=error), False)])
        self.produced.add(attempt.id)

    async def computed(self, payload: dict[str, Any], compute: Callable[[], str]) -> str:
        """Return the cached result for `payload`, or compute it in a thread and cache it."""
        key = stable_hash({"computed": payload})
        store = self.stage.store
        hit = store.cached([key]).get(key)
        if hit is not None and hit.text is not None:
            self.stage.calls.hits += 1
            return hit.text
        text = await asyncio.to_thread(compute)
        store.put_cache([(key, self._target.spec, Response(text=text, finish_reason="computed"))])
        self.stage.calls.calls += 1
        return text


class _StageRun:
    """One pass of the stage over a run: the store, what it held before, the shared caller."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        models: Mapping[str, Target],
        generation: GenerationConfig,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.models = models
        self.generation = generation
        self.calls = CachedCalls(store)
        self.existing = {a.id: a for a, _ in store.attempts(run_id)}
        pending = {a.id for a, _ in store.pending_attempts(run_id)}
        self.done = set(self.existing) - pending

    def save(self, items: Sequence[tuple[Attempt, str, Response, bool]]) -> None:
        """Store attempts with responses, skipping ones already stored and answered."""
        fresh: list[tuple[Attempt, str, Response]] = []
        replayed: list[tuple[Attempt, str, Response]] = []
        plan: list[tuple[Attempt, str]] = []
        stale: list[str] = []
        for attempt, key, response, from_cache in items:
            old = self.existing.get(attempt.id)
            if old is not None and old.messages == attempt.messages and attempt.id in self.done:
                continue
            if old is not None and old.messages != attempt.messages:
                stale.append(attempt.id)
            plan.append((attempt, key))
            (replayed if from_cache else fresh).append((attempt, key, response))
            self.existing[attempt.id] = attempt
            if response.ok:
                self.done.add(attempt.id)
        if stale:
            self.store.delete_attempts(self.run_id, stale)
        self.store.add_plan(self.run_id, [], plan)
        if fresh:
            self.store.put_responses(self.run_id, fresh)
        if replayed:
            self.store.put_responses(self.run_id, replayed, from_cache=True)

    def drop_stale(self, unit: _Unit) -> None:
        """Delete stored attempts of the unit that this pass of its search did not make."""
        b, t, name = unit.behavior, unit.target, unit.attack.name
        stale = [
            aid
            for aid, a in self.existing.items()
            if a.behavior_id == b.id
            and a.attack == name
            and a.target == t.spec
            and aid not in unit.produced
        ]
        if stale:
            self.store.delete_attempts(self.run_id, stale)
            for aid in stale:
                self.existing.pop(aid, None)
                self.done.discard(aid)


class AdaptiveStage:
    """The adaptive attacks of a run, bound to their models; `run` executes them."""

    def __init__(self, attacks: Sequence[AdaptiveAttack], models: Mapping[str, Target]) -> None:
        self.attacks = list(attacks)
        self.models = dict(models)

    def instrument(self) -> dict[str, Any]:
        """Return what names the adaptive instrument (attacks, params, model versions), or {}."""
        if not self.attacks:
            return {}
        return {
            "adaptive_attacks": [
                {
                    "attack": a.name,
                    "params": a.params,
                    "models": {
                        role: {"spec": spec, "version": self.models[spec].version}
                        for role, spec in a.models().items()
                    },
                }
                for a in self.attacks
            ]
        }

    async def run(
        self,
        store: Store,
        run_id: str,
        targets: Sequence[Target],
        behaviors: Sequence[Behavior],
        generation: GenerationConfig,
        progress: Progress | None = None,
    ) -> StageResult:
        """Run every adaptive attack on every harmful behavior and target; return its cost."""
        if not self.attacks:
            return StageResult()
        progress = progress or NoProgress()
        state = _StageRun(store, run_id, self.models, generation)
        harmful = [b for b in behaviors if b.side == "harmful"]
        for atk in self.attacks:
            units = [_Unit(state, atk, b, t) for t in targets for b in harmful]
            limit = asyncio.Semaphore(max(1, atk.parallel_units))
            progress.start(f"attack {atk.name}", len(units))

            async def one(
                unit: _Unit, atk: AdaptiveAttack = atk, limit: asyncio.Semaphore = limit
            ) -> None:
                async with limit:
                    await atk.run(unit.behavior, unit)
                    if not unit.produced:
                        unit.record_failure(
                            Query(
                                position="none",
                                messages=(Message(role="user", content=unit.behavior.text),),
                                params={**atk.params, "failed": "no-query"},
                            ),
                            f"{atk.name} made no target query: its attacker gave no usable prompt",
                        )
                    state.drop_stale(unit)
                    progress.advance(1)

            await asyncio.gather(*(one(u) for u in units))
            progress.finish()
        prices = load_prices()
        usage = [
            u
            for role, used in state.calls.used.items()
            if role != "target"
            for u in usage_by_spec(role, used, prices)
        ]
        return StageResult(calls=state.calls.calls, hits=state.calls.hits, usage=usage)


def prepare_adaptive(
    attack_specs: Sequence[str],
    targets: Mapping[str, Target],
    *,
    attacker_model: str | None,
    judge_model: str | None = None,
    target_settings: Mapping[str, Any],
) -> AdaptiveStage:
    """Return the run's adaptive stage; bad attacks, models or targets raise InputError now.

    Model instances are shared: an attacker or judge spec that is also a target of the run uses
    the same backend (one model in memory, one concurrency limit).
    """
    attacks: list[AdaptiveAttack] = []
    for spec in attack_specs:
        atk = get_attack(spec)
        if not isinstance(atk, AdaptiveAttack):
            continue
        bound = atk.bind(attacker_model=attacker_model, judge_model=judge_model)
        for t in targets.values():
            bound.check_target(t)
        attacks.append(bound)
    models: dict[str, Target] = dict(targets)
    for atk in attacks:
        for spec in atk.models().values():
            if spec not in models:
                models[spec] = get_target(spec, **target_settings)
    return AdaptiveStage(attacks, models)
