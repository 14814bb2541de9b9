"""The generate stage: every pending static attempt answered, cache first, as it arrives.

Pending work is read from the store in chunks and handed through a bounded queue to
`max_concurrency` workers per target, so memory stays flat however large the run and workers
never idle at a chunk boundary. Every answer lands in the store at once (the answers of one
turn of the event loop in one transaction: run/writes.py): a killed run resumes where it stopped.

Multiple-choice attempts a run scores by log-likelihood (`--choice-scoring loglik`) take the
same path in batches of their own: the dispatch sends them to the executor's `score_choices`
instead of `generate`.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Mapping, Sequence

from tightrope.attacks.adaptive import ADAPTIVE_MARK
from tightrope.records import Attempt, GenerationConfig
from tightrope.run.executors._base import RunExecutor
from tightrope.run.executors.local import LocalRun
from tightrope.run.overlap import JudgeAlong
from tightrope.run.progress import Progress
from tightrope.run.writes import BatchedWrites
from tightrope.store import Store
from tightrope.targets.cached import CachedModel

# Pending attempts read from the store at a time.
PLAN_CHUNK = 2048
# A batch of attempts with their cache keys, and whether it is scored (True) or generated.
Work = tuple[list[tuple[Attempt, str]], bool]


def batches(items: Sequence[tuple[Attempt, str]], max_size: int) -> list[list[tuple[Attempt, str]]]:
    """Split attempts into near-equal batches of at most `max_size`, similar lengths together.

    Sorting by prompt length cuts padding in local batched generation, and equal sizes avoid a
    small, inefficient last batch (148 prompts at 48 become 4 x 37, not 48+48+48+4).
    """
    if not items:
        return []
    size = max(1, max_size)
    n_batches = -(-len(items) // size)
    even = -(-len(items) // n_batches)
    ordered = sorted(items, key=lambda ak: sum(len(m.content) for m in ak[0].messages))
    return [list(ordered[i : i + even]) for i in range(0, len(ordered), even)]


async def generate_stage(
    store: Store,
    run_id: str,
    models: Mapping[str, CachedModel],
    generation: GenerationConfig,
    progress: Progress,
    executor: RunExecutor | None = None,
    *,
    choice_options: Mapping[str, str] | None = None,
    along: JudgeAlong | None = None,
) -> None:
    """Generate every pending static attempt of the run, cache first.

    Attempts made by adaptive attacks are left to their own stage. A local model is loaded only
    when some attempt of it is missing from the cache. What it cost is counted by the models.
    The `executor` carries out the calls the cache cannot answer (this process by default).
    Attempts of the behaviors in `choice_options` (id -> option letters; see
    `multiple_choice.scored_options`) are scored by log-likelihood instead of generated.
    With `along`, its judges judge the responses as they are stored (run/overlap.py); the stage
    returns once its batches in flight are done, and cancels them if generation fails.
    """
    scored = choice_options or {}
    ex = executor or LocalRun()
    rowids = store.pending_rowids(run_id, skip_marked=ADAPTIVE_MARK)
    if not rowids:
        return
    specs = store.targets_to_generate(run_id, skip_marked=ADAPTIVE_MARK, through_cache=False)
    # Load up front (with a progress line) the models the cache will not answer whole; a model
    # that reads no cache (`--cache off|refresh`) or another source version loads on first use.
    for spec in store.targets_to_generate(run_id, skip_marked=ADAPTIVE_MARK):
        progress.start(f"loading {spec}", 1)
        await ex.prepare(models[spec])
        progress.finish()
    # The models cache their answers through the same buffer the responses go through.
    writes = BatchedWrites(store, None if along is None else along.stored)
    caches = {spec: model.cache for spec, model in models.items()}
    for model in models.values():
        if model.cache is store:
            model.attach(writes)
    queues: dict[str, asyncio.Queue[Work | None]] = {
        spec: asyncio.Queue(maxsize=2 * ex.parallel(models[spec])) for spec in specs
    }

    async def work(model: CachedModel, queue: asyncio.Queue[Work | None]) -> None:
        while (item := await queue.get()) is not None:
            batch, score = item
            if score:
                options = [scored[a.behavior_id] for a, _ in batch]
                responses = await ex.score_choices(model, batch, options, generation)
            else:
                responses = await ex.generate(model, batch, generation)
            writes.put_responses(
                run_id, [(a, k, r) for (a, k), r in zip(batch, responses, strict=True)]
            )
            progress.advance(len(batch))

    async def produce() -> None:
        for i in range(0, len(rowids), PLAN_CHUNK):
            by_target: dict[str, list[tuple[Attempt, str]]] = defaultdict(list)
            for a, k in store.attempts_at(rowids[i : i + PLAN_CHUNK]):
                by_target[a.target].append((a, k))
            for spec, items in by_target.items():
                cached = models[spec].lookup(k for _, k in items)
                found = [(a, k, cached[k]) for a, k in items if k in cached]
                if found:
                    writes.put_responses(run_id, found, from_cache=True)
                    progress.advance(len(found))
                for score in (False, True):
                    missing = [
                        (a, k)
                        for a, k in items
                        if k not in cached and (a.behavior_id in scored) == score
                    ]
                    for batch in batches(missing, ex.shard_size(models[spec])):
                        await queues[spec].put((batch, score))
        for spec, queue in queues.items():
            for _ in range(ex.parallel(models[spec])):
                await queue.put(None)

    # One bar: it counts generations; judging along has no total of its own (what it takes
    # depends on how fast answers land), and the judge stage's bar shows what it left.
    progress.start("generating" if along is None else "generating, judging along", len(rowids))
    tasks = [asyncio.create_task(produce())] + [
        asyncio.create_task(work(models[spec], queue))
        for spec, queue in queues.items()
        for _ in range(ex.parallel(models[spec]))
    ]
    if along is not None:
        along.start()
    generated = False
    try:
        # The first failure (a bug, an interrupt) propagates; the rest are cancelled below.
        await asyncio.gather(*tasks)
        generated = True
    finally:
        for task in tasks:
            task.cancel()
        for spec, model in models.items():
            model.attach(caches[spec])
        try:
            writes.close()  # the last answers reach `along` here
            if along is not None and generated:
                await along.stop()
        finally:
            if along is not None:
                along.cancel()  # nothing left to cancel after a stop
            progress.finish()
