"""The runner's adaptive stage: runs PAIR, TAP and GCG against each target, one behavior at a time.

Adaptive attacks (attacks/adaptive.py) make their prompts from earlier answers, so they cannot be
planned ahead like static attempts. This stage runs each attack's loop for every harmful
behavior and target and gives it a `LoopContext` in which

* every model call (attacker, target, in-loop judge) and every optimisation result (GCG) goes
  through the run store's response cache, keyed like every model call (`targets.cached.call_key`): a killed run given
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
from dataclasses import dataclass
from typing import Any

from tightrope.attacks import frame
from tightrope.attacks.adaptive import LOOP_VERDICT, AdaptiveAttack, Query
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
from tightrope.run.progress import NoProgress, Progress
from tightrope.store import Store
from tightrope.targets import Target
from tightrope.targets.cached import CachedModel


@dataclass
class Computed:
    """Counts of cached computations (GCG searches): made now, and replayed from the cache."""

    calls: int = 0
    hits: int = 0


class _Unit:
    """The LoopContext of one attack on one behavior and one target."""

    def __init__(
        self,
        stage: _StageRun,
        attack: AdaptiveAttack,
        behavior: Behavior,
        target: CachedModel,
    ) -> None:
        self.stage = stage
        self.attack = attack
        self.behavior = behavior
        self._model = target
        self._target = target.inner
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
        """Return the run's backend for a model spec (behind the run's cache)."""
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
            messages=frame(b, query.messages),
        )

    async def ask(
        self, role: str, spec: str, calls: Sequence[tuple[Sequence[Message], GenerationConfig]]
    ) -> list[Response]:
        """Return one response per call to model `spec`, cache first.

        A call another unit of the stage is making at this moment (the same attacker rewrite
        of a behavior for two targets) waits for that call instead of being made twice; its
        answer counts as a cache hit and in the role's usage, as a replayed call does.
        """
        model = self.stage.models[spec]
        keys = [(spec, model.key(messages, config)) for messages, config in calls]
        inflight = self.stage.inflight
        loop = asyncio.get_running_loop()
        mine: dict[tuple[str, str], asyncio.Future[Response]] = {}
        others: dict[int, asyncio.Future[Response]] = {}
        by_config: dict[GenerationConfig, list[int]] = {}
        for i, ((_, config), key) in enumerate(zip(calls, keys, strict=True)):
            if key in inflight and key not in mine:
                others[i] = inflight[key]
                continue
            if key not in mine:
                mine[key] = inflight[key] = loop.create_future()
            by_config.setdefault(config, []).append(i)
        out: list[Response | None] = [None] * len(calls)

        async def one(config: GenerationConfig, idx: list[int]) -> None:
            try:
                responses, _ = await model.call([calls[i][0] for i in idx], config, role=role)
            except BaseException:
                for i in idx:
                    if not mine[keys[i]].done():
                        mine[keys[i]].set_result(Response(error="no response"))
                raise
            for i, r in zip(idx, responses, strict=True):
                out[i] = r
                if not mine[keys[i]].done():
                    mine[keys[i]].set_result(r)

        try:
            await asyncio.gather(*(one(c, idx) for c, idx in by_config.items()))
            for i, fut in others.items():
                out[i] = r = await fut
                model.hits += 1
                model.used.setdefault(role, []).append((model.inner.spec, r))
        finally:
            for key in mine:
                inflight.pop(key, None)
        return [r if r is not None else Response(error="no response") for r in out]

    async def query(self, queries: Sequence[Query]) -> list[tuple[str, Response]]:
        """Query the target (cache first) and store each query as an attempt with its response."""
        attempts = [self._attempt(q, self.next_index + i) for i, q in enumerate(queries)]
        self.next_index += len(queries)
        gen = self.stage.generation
        responses, from_cache = await self._model.call(
            [a.messages for a in attempts], gen, role="target"
        )
        self.stage.save(
            [
                (a, self._model.key(a.messages, gen), r, c)
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

    def amend(self, attempt_id: str, response: Response) -> None:
        """Replace the stored response of an attempt this unit made (translate adds the
        back-translation its judges read); the cached target answer is left as it was."""
        attempt = self.stage.existing[attempt_id]
        key = self._model.key(attempt.messages, self.stage.generation)
        self.stage.store.put_responses(self.stage.run_id, [(attempt, key, response)])
        if response.ok:
            self.stage.done.add(attempt_id)
        else:
            self.stage.done.discard(attempt_id)

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
            self.stage.computed.hits += 1
            return hit.text
        text = await asyncio.to_thread(compute)
        store.put_cache([(key, self._target.spec, Response(text=text, finish_reason="computed"))])
        self.stage.computed.calls += 1
        return text


class _StageRun:
    """One pass of the stage over a run: the store, what it held before, the shared caller."""

    def __init__(
        self,
        store: Store,
        run_id: str,
        models: Mapping[str, CachedModel],
        generation: GenerationConfig,
        computed: Computed,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.models = models
        self.generation = generation
        self.computed = computed
        self.inflight: dict[tuple[str, str], asyncio.Future[Response]] = {}
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


async def adaptive_stage(
    store: Store,
    run_id: str,
    attacks: Sequence[AdaptiveAttack],
    models: Mapping[str, CachedModel],
    targets: Sequence[CachedModel],
    behaviors: Sequence[Behavior],
    generation: GenerationConfig,
    progress: Progress | None = None,
) -> Computed:
    """Run every adaptive attack on every harmful behavior and target.

    Model calls are counted by the models themselves; the result counts the cached
    computations (GCG searches) made and replayed.
    """
    computed = Computed()
    if not attacks:
        return computed
    progress = progress or NoProgress()
    state = _StageRun(store, run_id, models, generation, computed)
    harmful = [b for b in behaviors if b.side == "harmful"]
    for atk in attacks:
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
    return computed


def loop_usage(models: Mapping[str, CachedModel]) -> list[RoleUsage]:
    """Return token usage and cost per role (attacker, judge) of the models adaptive loops
    called besides the target, roles in name order."""
    by_role: dict[str, list[tuple[str, Response]]] = {}
    for model in models.values():
        for role, used in model.used.items():
            if role != "target":
                by_role.setdefault(role, []).extend(used)
    prices = load_prices()
    return [u for role in sorted(by_role) for u in usage_by_spec(role, by_role[role], prices)]
