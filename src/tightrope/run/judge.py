"""The judge stage: every configured judge over every successful response it has not judged.

Work is read from the store in batches, so memory does not grow with the run; LLM judges ask
their models through the run's cache-first wrappers, so a killed run resumes without asking a
judge twice. Judges that run along generation (run/overlap.py) leave this stage only what they
had not judged when generation ended, and the adaptive attacks' attempts.

A judge that raises instead of returning error verdicts (a plug-in's bug, a dropped
connection) gives an `error` verdict for each item of the batch, with the exception as the
reason (invariant 1): the run goes on, its error count says what happened, and every generated
response stays stored. Reaching `--max-cost` still stops the run.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from tightrope.judges import Judge, JudgeItem, error_verdicts
from tightrope.records import CHOICE_JUDGE
from tightrope.run.executors._base import RunExecutor
from tightrope.run.executors.local import LocalRun
from tightrope.run.progress import Progress
from tightrope.store import Store
from tightrope.targets.cached import CostLimitReached

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
            progress.advance(await judge_rowids(store, run_id, name, judges[name], rowids, ex))

    pieces = {
        name: [rowids[i : i + JUDGE_BATCH] for i in range(0, len(rowids), JUDGE_BATCH)]
        for name, rowids in work.items()
    }
    if ex.judge_parallel() <= 1:
        # Batch by batch, each batch to every judge in turn: judges that read the same
        # responses one after the other can reuse what the first computed (the learned judges'
        # MiniLM features, `judges.shared`).
        for i in range(max((len(p) for p in pieces.values()), default=0)):
            for name in pieces:
                if i < len(pieces[name]):
                    await one(name, pieces[name][i])
    else:
        for name in pieces:
            tasks = [asyncio.create_task(one(name, piece)) for piece in pieces[name]]
            try:
                await asyncio.gather(*tasks)
            finally:
                for task in tasks:
                    task.cancel()
    progress.finish()


async def judge_rowids(
    store: Store,
    run_id: str,
    name: str,
    judge: Judge,
    rowids: Sequence[int],
    ex: RunExecutor,
) -> int:
    """Ask the run's judge `name` about the responses of these attempt rowids through the
    executor, store its verdicts in one transaction and return how many were judged.

    The one place both the judge stage and the judging along generation ask a judge, so both
    build the same items and treat a raising judge the same way (error verdicts).
    """
    chunk = store.judge_items_at(rowids)
    conversations = store.conversations_at(rowids)
    items = [
        JudgeItem(behavior=b, response=r.judged_text or "", conversation=conv)
        for (_, b, r), conv in zip(chunk, conversations, strict=True)
    ]
    try:
        verdicts = await ex.judge(name, judge, items)
    except CostLimitReached:
        raise
    except Exception as exc:
        verdicts = error_verdicts(name, judge, len(items), exc)
    store.put_verdicts(
        run_id, [(aid, name, v) for (aid, _, _), v in zip(chunk, verdicts, strict=True)]
    )
    return len(chunk)
