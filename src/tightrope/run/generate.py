"""The generate stage: every pending static attempt answered, cache first, as it arrives.

Pending work comes from the run's plan as it is stored (`plan.PlanStream`: what a resumed run
left, then the plan chunk by chunk, so the first requests leave before the plan is written
whole) and is handed through a bounded queue to `max_concurrency` workers per target, so memory
stays flat however large the run and workers never idle at a chunk boundary. Every answer lands
in the store at once (the answers of one turn of the event loop in one transaction:
run/writes.py): a killed run resumes where it stopped.

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
from tightrope.run.plan import PlanStream
from tightrope.run.progress import Progress
from tightrope.run.writes import BatchedWrites
from tightrope.store import Store
from tightrope.targets.cached import CachedModel

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
    plan: PlanStream,
    choice_options: Mapping[str, str] | None = None,
    along: JudgeAlong | None = None,
) -> None:
    """Generate every pending static attempt of the run, cache first, as its plan is stored.

    The attempts come from `plan` (run/plan.py): those a resumed run left, then each chunk of
    the plan as it is written, so the first requests leave before the whole plan is stored; the
    stage returns only once the plan is stored whole. Attempts made by adaptive attacks are left
    to their own stage. A model is loaded only when some attempt of it is missing from the cache
    (up front, with a progress line, for the attempts stored before the first request; else
    before its first batch). What it cost is counted by the models. The `executor` carries out
    the calls the cache cannot answer (this process by default). Attempts of the behaviors in
    `choice_options` (id -> option letters; see `multiple_choice.scored_options`) are scored by
    log-likelihood instead of generated. With `along`, its judges judge the responses as they
    are stored (run/overlap.py); the stage returns once its batches in flight are done, and
    cancels them if generation fails.
    """
    scored = choice_options or {}
    ex = executor or LocalRun()
    first = plan.next()
    if not first:
        return
    # Load up front (with a progress line) the models the cache will not answer whole; a model
    # that reads no cache (`--cache off|refresh`) or another source version loads on first use.
    prepared: set[str] = set()
    for spec in store.targets_to_generate(run_id, skip_marked=ADAPTIVE_MARK):
        progress.start(f"loading {spec}", 1)
        await ex.prepare(models[spec])
        prepared.add(spec)
        progress.finish()
    # The models cache their answers through the same buffer the responses go through.
    writes = BatchedWrites(store, None if along is None else along.stored)
    caches = {spec: model.cache for spec, model in models.items()}
    for model in models.values():
        if model.cache is store:
            model.attach(writes)
    # One queue and its workers per target, made when its first batch is ready.
    queues: dict[str, asyncio.Queue[Work | None]] = {}
    workers: list[asyncio.Task[None]] = []
    broken: asyncio.Future[None] = asyncio.get_running_loop().create_future()

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

    def failed(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None and not broken.done():
            broken.set_exception(task.exception())  # type: ignore[arg-type]

    async def queue_of(spec: str) -> asyncio.Queue[Work | None]:
        queue = queues.get(spec)
        if queue is None:
            if spec not in prepared:
                await ex.prepare(models[spec])
                prepared.add(spec)
            queue = queues[spec] = asyncio.Queue(maxsize=2 * ex.parallel(models[spec]))
            for _ in range(ex.parallel(models[spec])):
                workers.append(asyncio.create_task(work(models[spec], queue)))
                workers[-1].add_done_callback(failed)
        return queue

    async def hand_out(items: list[tuple[Attempt, str]]) -> None:
        by_target: dict[str, list[tuple[Attempt, str]]] = defaultdict(list)
        for a, k in items:
            by_target[a.target].append((a, k))
        for spec, mine in by_target.items():
            cached = models[spec].lookup(k for _, k in mine)
            found = [(a, k, cached[k]) for a, k in mine if k in cached]
            if found:
                writes.put_responses(run_id, found, from_cache=True)
                progress.advance(len(found))
            for score in (False, True):
                missing = [
                    (a, k)
                    for a, k in mine
                    if k not in cached and (a.behavior_id in scored) == score
                ]
                for batch in batches(missing, ex.shard_size(models[spec])):
                    await (await queue_of(spec)).put((batch, score))

    async def produce() -> None:
        items = first
        while items:
            await hand_out(items)
            # Let the workers send what was handed out before the next chunk of plan is
            # written (a put into a queue with room does not yield).
            await asyncio.sleep(0)
            items = plan.next()
            progress.extend(len(items))
        for spec, queue in queues.items():
            for _ in range(ex.parallel(models[spec])):
                await queue.put(None)

    # One bar: it counts generations (its total grows as the plan is written); judging along
    # has no total of its own (what it takes depends on how fast answers land), and the judge
    # stage's bar shows what it left.
    progress.start("generating" if along is None else "generating, judging along", len(first))
    producer = asyncio.create_task(produce())
    if along is not None:
        along.start()
    generated = False
    try:
        # The first failure (a bug, an interrupt) propagates; the rest are cancelled below.
        await asyncio.wait((producer, broken), return_when=asyncio.FIRST_COMPLETED)
        if broken.done():
            broken.result()
        producer.result()
        await asyncio.gather(*workers)  # every worker is made once the producer is done
        generated = True
    finally:
        for task in (producer, *workers):
            task.cancel()
        if broken.done() and not broken.cancelled():
            broken.exception()  # retrieved: the failure was raised above, or another one was
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
