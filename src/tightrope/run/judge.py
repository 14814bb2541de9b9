"""The judge stage: every configured judge over every successful response it has not judged.

Work is read from the store in batches, so memory does not grow with the run; LLM judges ask
their models through the run's cache-first wrappers, so a killed run resumes without asking a
judge twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from tightrope.judges import Judge, JudgeItem
from tightrope.records import CHOICE_JUDGE
from tightrope.run.executors._base import RunExecutor
from tightrope.run.executors.local import LocalRun
from tightrope.run.progress import Progress
from tightrope.store import Store

# Responses read from the store and handed to a judge at a time: large enough that an LLM
# judge keeps its model busy (a batch waits for its slowest call), small enough to stay flat.
JUDGE_BATCH = 256


async def judge_stage(
    store: Store,
    run_id: str,
    judges: Mapping[str, Judge],
    progress: Progress,
    executor: RunExecutor | None = None,
) -> None:
    """Judge every successful response that a configured judge has not judged yet.

    The choice judge reads multiple-choice replies only, every other judge the rest
    (`records.judge_applies`). The `executor` asks the judges (this process by default, one
    batch at a time); where it allows several batches in flight (Ray workers), each batch's
    verdicts land as it finishes.
    """
    ex = executor or LocalRun()
    work = {
        name: store.unjudged_rowids(run_id, name, choice=name == CHOICE_JUDGE) for name in judges
    }
    progress.start("judging", sum(len(v) for v in work.values()))
    limit = asyncio.Semaphore(max(1, ex.judge_parallel()))

    async def one(name: str, rowids: list[int]) -> None:
        async with limit:
            chunk = store.judge_items_at(rowids)
            conversations = store.conversations_at(rowids)
            verdicts = await ex.judge(
                name,
                judges[name],
                [
                    JudgeItem(behavior=b, response=r.judged_text or "", conversation=conv)
                    for (_, b, r), conv in zip(chunk, conversations, strict=True)
                ],
            )
            store.put_verdicts(
                run_id, [(aid, name, v) for (aid, _, _), v in zip(chunk, verdicts, strict=True)]
            )
            progress.advance(len(chunk))

    for name, rowids in work.items():
        pieces = [rowids[i : i + JUDGE_BATCH] for i in range(0, len(rowids), JUDGE_BATCH)]
        if ex.judge_parallel() <= 1:
            for piece in pieces:
                await one(name, piece)
            continue
        tasks = [asyncio.create_task(one(name, piece)) for piece in pieces]
        try:
            await asyncio.gather(*tasks)
        finally:
            for task in tasks:
                task.cancel()
    progress.finish()
