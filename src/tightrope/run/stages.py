"""The generate and judge stages of a run: each reads pending work from the store and writes
every result back as it arrives, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from tightrope.judges import Judge, JudgeItem
from tightrope.judges.cached_model import cache_judge_models
from tightrope.records import Attempt, GenerationConfig
from tightrope.store.store import Store
from tightrope.targets import Target

# Responses read from the store and handed to a judge at a time: large enough that an LLM
# judge keeps its model busy (a batch waits for its slowest call), small enough to stay flat.
JUDGE_BATCH = 256
# Pending attempts read from the store at a time by the generate stage.
PLAN_CHUNK = 2048


class Progress(Protocol):
    """Receives stage progress; the CLI draws it as a bar, the API ignores it."""

    def start(self, stage: str, total: int) -> None: ...

    def advance(self, n: int) -> None: ...

    def finish(self) -> None: ...


class NoProgress:
    """A Progress that draws nothing (the Python API)."""

    def start(self, stage: str, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self) -> None:
        pass


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
    targets: dict[str, Target],
    generation: GenerationConfig,
    progress: Progress,
) -> tuple[int, int]:
    """Generate every pending attempt, cache first. Returns (model calls, cache hits).

    Pending attempts are read from the store `PLAN_CHUNK` at a time and handed through a
    bounded queue to `max_concurrency` workers per target: memory stays flat however large the
    run, and the workers never idle at a chunk boundary. A local model is loaded only when some
    attempt of it is missing from the cache.
    """
    rowids = store.pending_rowids(run_id)
    if not rowids:
        return 0, 0
    specs = store.targets_to_generate(run_id)
    for spec in specs:
        load = getattr(targets[spec], "load", None)
        if callable(load):
            progress.start(f"loading {spec}", 1)
            await asyncio.to_thread(load)
            progress.finish()
    queues: dict[str, asyncio.Queue[list[tuple[Attempt, str]] | None]] = {
        spec: asyncio.Queue(maxsize=2 * targets[spec].max_concurrency) for spec in specs
    }
    calls = hits = 0

    async def work(t: Target, queue: asyncio.Queue[list[tuple[Attempt, str]] | None]) -> None:
        nonlocal calls
        while (batch := await queue.get()) is not None:
            responses = await t.generate([a.messages for a, _ in batch], generation)
            calls += len(batch)
            store.put_responses(
                run_id, [(a, k, r) for (a, k), r in zip(batch, responses, strict=True)]
            )
            progress.advance(len(batch))

    async def produce() -> None:
        nonlocal hits
        for i in range(0, len(rowids), PLAN_CHUNK):
            pending = store.attempts_at(rowids[i : i + PLAN_CHUNK])
            cached = store.cached(k for _, k in pending)
            found = [(a, k, cached[k]) for a, k in pending if k in cached]
            if found:
                store.put_responses(run_id, found, from_cache=True)
                hits += len(found)
                progress.advance(len(found))
            by_target: dict[str, list[tuple[Attempt, str]]] = defaultdict(list)
            for a, k in pending:
                if k not in cached:
                    by_target[a.target].append((a, k))
            for spec, items in by_target.items():
                for batch in batches(items, targets[spec].max_batch_size):
                    await queues[spec].put(batch)
        for spec, queue in queues.items():
            for _ in range(targets[spec].max_concurrency):
                await queue.put(None)

    progress.start("generating", len(rowids))
    tasks = [asyncio.create_task(produce())] + [
        asyncio.create_task(work(targets[spec], queue))
        for spec, queue in queues.items()
        for _ in range(targets[spec].max_concurrency)
    ]
    try:
        # The first failure (a bug, an interrupt) propagates; the rest are cancelled below.
        await asyncio.gather(*tasks)
    finally:
        for task in tasks:
            task.cancel()
        progress.finish()
    return calls, hits


async def judge_stage(
    store: Store, run_id: str, judges: dict[str, Judge], progress: Progress
) -> tuple[int, int]:
    """Judge every successful response that a configured judge has not judged yet.

    Work is read from the store `JUDGE_BATCH` rows at a time, so memory does not grow with the
    run. LLM judges ask their model through the store's response cache. Returns (judge model
    calls, cache hits).
    """
    models = cache_judge_models(judges.values(), store)
    work = {name: store.unjudged_rowids(run_id, name) for name in judges}
    progress.start("judging", sum(len(v) for v in work.values()))
    for name, rowids in work.items():
        j = judges[name]
        for i in range(0, len(rowids), JUDGE_BATCH):
            chunk = store.judge_items_at(rowids[i : i + JUDGE_BATCH])
            verdicts = await j.judge(
                [JudgeItem(behavior=b, response=r.text or "") for _, b, r in chunk]
            )
            store.put_verdicts(
                run_id, [(aid, name, v) for (aid, _, _), v in zip(chunk, verdicts, strict=True)]
            )
            progress.advance(len(chunk))
    progress.finish()
    return sum(m.calls for m in models), sum(m.hits for m in models)
