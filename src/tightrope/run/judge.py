"""The judge stage: every configured judge over every successful response it has not judged.

Work is read from the store in batches, so memory does not grow with the run; LLM judges ask
their models through the run's cache-first wrappers, so a killed run resumes without asking a
judge twice.
"""

from __future__ import annotations

from collections.abc import Mapping

from tightrope.judges import Judge, JudgeItem
from tightrope.run.progress import Progress
from tightrope.store import Store

# Responses read from the store and handed to a judge at a time: large enough that an LLM
# judge keeps its model busy (a batch waits for its slowest call), small enough to stay flat.
JUDGE_BATCH = 256


async def judge_stage(
    store: Store, run_id: str, judges: Mapping[str, Judge], progress: Progress
) -> None:
    """Judge every successful response that a configured judge has not judged yet."""
    work = {name: store.unjudged_rowids(run_id, name) for name in judges}
    progress.start("judging", sum(len(v) for v in work.values()))
    for name, rowids in work.items():
        j = judges[name]
        for i in range(0, len(rowids), JUDGE_BATCH):
            chunk = store.judge_items_at(rowids[i : i + JUDGE_BATCH])
            verdicts = await j.judge(
                [JudgeItem(behavior=b, response=r.judged_text or "") for _, b, r in chunk]
            )
            store.put_verdicts(
                run_id, [(aid, name, v) for (aid, _, _), v in zip(chunk, verdicts, strict=True)]
            )
            progress.advance(len(chunk))
    progress.finish()
