"""The generate and judge stages of a run: each reads pending work from the store and writes
every result back as it arrives, so a killed run resumes where it stopped.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Sequence
from typing import Protocol

from tightrope.attacks.adaptive import is_adaptive
from tightrope.judges import Judge, JudgeItem
from tightrope.records import Attempt, GenerationConfig
from tightrope.store import Store
from tightrope.targets import Target

JUDGE_BATCH = 64


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
    """Generate every pending attempt, cache first. Returns (model calls, cache hits)."""
    # Attempts of adaptive attacks are (re)made by their own stage, never here.
    pending = [p for p in store.pending_attempts(run_id) if not is_adaptive(p[0].attack_params)]
    cached = store.cached(k for _, k in pending)
    hits = [(a, k, cached[k]) for a, k in pending if k in cached]
    if hits:
        store.put_responses(run_id, hits, from_cache=True)
    todo = [(a, k) for a, k in pending if k not in cached]
    by_target: dict[str, list[tuple[Attempt, str]]] = defaultdict(list)
    for a, k in todo:
        by_target[a.target].append((a, k))
    calls = 0

    async def run_batch(
        t: Target, batch: list[tuple[Attempt, str]], sem: asyncio.Semaphore
    ) -> None:
        nonlocal calls
        async with sem:
            responses = await t.generate([a.messages for a, _ in batch], generation)
            calls += len(batch)
            store.put_responses(
                run_id, [(a, k, r) for (a, k), r in zip(batch, responses, strict=True)]
            )
            progress.advance(len(batch))

    jobs = []
    for spec, items in by_target.items():
        t = targets[spec]
        load = getattr(t, "load", None)
        if callable(load):
            progress.start(f"loading {spec}", 1)
            await asyncio.to_thread(load)
            progress.finish()
        sem = asyncio.Semaphore(t.max_concurrency)
        jobs += [run_batch(t, batch, sem) for batch in batches(items, t.max_batch_size)]
    progress.start("generating", len(todo))
    await asyncio.gather(*jobs)
    progress.finish()
    return calls, len(hits)


async def judge_stage(
    store: Store, run_id: str, judges: dict[str, Judge], progress: Progress
) -> None:
    """Judge every successful response that a configured judge has not judged yet."""
    work = {name: store.unjudged(run_id, name) for name in judges}
    progress.start("judging", sum(len(v) for v in work.values()))
    for name, items in work.items():
        j = judges[name]
        for i in range(0, len(items), JUDGE_BATCH):
            chunk = items[i : i + JUDGE_BATCH]
            verdicts = await j.judge(
                [JudgeItem(behavior=b, response=r.text or "") for _, b, r in chunk]
            )
            store.put_verdicts(
                run_id, [(aid, name, v) for (aid, _, _), v in zip(chunk, verdicts, strict=True)]
            )
            progress.advance(len(chunk))
    progress.finish()
