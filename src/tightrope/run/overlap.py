"""Judging along generation: the run's judges judge responses as the generate stage stores them.

Against a fast endpoint the stages used to add up: generate everything, then judge everything.
`JudgeAlong` takes the attempt ids of each committed flush of the generate stage's writes
(`BatchedWrites.on_stored`), and a task of its own judges them in batches while generation goes
on: up to `JUDGE_BATCH` responses, or whatever has landed by the time the task gets control.
When generation ends, the task finishes the batches in flight and stops; the judge stage then
judges what is left (and the adaptive attacks' attempts), so a run's total time approaches the
longer of generating and judging instead of their sum.

Nothing changes in what is judged or stored: each batch asks the store which of its responses
a judge still lacks a verdict for (`Store.unjudged_rowids(among=...)`, the judge stage's own
rule: successful, unfiltered, the judge's side), asks the judge through the executor
(`RunExecutor.judge`, so a Ray run sends computing judges to its workers) and writes the
verdicts in one transaction. A killed run resumes with the judge stage judging exactly the
responses without a verdict; a verdict is unique per (attempt, judge) in the store.

Which judges run along (`overlapping`): when a target of the run computes on this machine's
cores (a local model: `embedded:`, `hf:`, `llamacpp:`), only judges that wait on a remote model
do; a judge that computes (a classifier, rules, an LLM judge on a local model) would take cores
from the target's batches and finish no sooner. With remote targets every judge runs along.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence

from tightrope.judges import Judge
from tightrope.records import CHOICE_JUDGE
from tightrope.run.executors._base import RunExecutor
from tightrope.run.judge import JUDGE_BATCH, judge_rowids
from tightrope.store import Store
from tightrope.targets._base import is_local


def waits_on_remote_model(judge: Judge) -> bool:
    """Return True when `judge` asks only remote models (an LLM judge on an endpoint, or a panel
    of such judges): it spends its time waiting, not computing on this machine."""
    members = getattr(judge, "members", None)
    if isinstance(members, list) and members:
        return all(waits_on_remote_model(m) for m in members)
    spec = getattr(getattr(judge, "model", None), "spec", None)
    return isinstance(spec, str) and not is_local(spec)


def overlapping(judges: Mapping[str, Judge], target_specs: Sequence[str]) -> dict[str, Judge]:
    """Return the judges (name -> judge) that should judge along generation.

    Every judge when no target computes locally; otherwise only those that wait on a remote
    model, so a local target keeps the machine's cores (module docstring).
    """
    if not any(is_local(spec) for spec in target_specs):
        return dict(judges)
    return {name: j for name, j in judges.items() if waits_on_remote_model(j)}


class JudgeAlong:
    """A task that judges the responses the generate stage stores, while generation runs.

    `stored` is the `BatchedWrites.on_stored` hook; `start` launches the task; `stop` (at the
    end of generation) lets the batches in flight finish and leaves the rest to the judge
    stage; `cancel` (a failure, Ctrl-C) cancels them.
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        judges: Mapping[str, Judge],
        executor: RunExecutor,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self.judges = dict(judges)
        self.ex = executor
        self.judged = 0  # verdicts written (a response two judges judged counts twice)
        self._failed: BaseException | None = None
        self._ids: list[str] = []
        self._ready = asyncio.Event()
        self._stopping = False
        self._limit = asyncio.Semaphore(1)  # sized by `start`, once the executor is in use
        self._inflight: set[asyncio.Task[None]] = set()
        self._task: asyncio.Task[None] | None = None

    def stored(self, attempt_ids: list[str]) -> None:
        """Take the attempt ids of successful responses just committed to the store."""
        if self._stopping:
            return
        self._ids.extend(attempt_ids)
        self._ready.set()

    def start(self) -> None:
        """Start judging in a task of the running event loop."""
        self._limit = asyncio.Semaphore(max(1, self.ex.judge_parallel()))
        self._task = asyncio.create_task(self._run())

    async def _run(self) -> None:
        while not self._stopping:
            await self._ready.wait()
            self._ready.clear()
            while self._ids and not self._stopping:
                # Wait for a free slot first: what lands meanwhile joins this batch.
                await self._limit.acquire()
                if self._stopping:
                    self._limit.release()
                    break
                ids, self._ids = self._ids[:JUDGE_BATCH], self._ids[JUDGE_BATCH:]
                task = asyncio.create_task(self._judge(ids))
                self._inflight.add(task)
                task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._inflight.discard(task)
        self._limit.release()
        if not task.cancelled() and task.exception() is not None and self._failed is None:
            self._failed = task.exception()  # a store write failed: raised by `stop`

    async def _judge(self, ids: list[str]) -> None:
        for name, judge in self.judges.items():
            rowids = self.store.unjudged_rowids(
                self.run_id, name, choice=name == CHOICE_JUDGE, among=ids
            )
            if rowids:
                self.judged += await judge_rowids(
                    self.store, self.run_id, name, judge, rowids, self.ex
                )

    async def stop(self) -> None:
        """Stop taking work, wait for the batches in flight (raising the first failure of one)
        and return; responses not yet taken are left for the judge stage."""
        self._stopping = True
        self._ready.set()
        if self._task is not None:
            await self._task
        if self._inflight:
            await asyncio.gather(*list(self._inflight), return_exceptions=True)
        if self._failed is not None:
            raise self._failed

    def cancel(self) -> None:
        """Cancel the task and its batches in flight (generation failed or was interrupted)."""
        self._stopping = True
        if self._task is not None:
            self._task.cancel()
        for task in list(self._inflight):
            task.cancel()
