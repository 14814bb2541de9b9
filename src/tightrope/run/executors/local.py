"""The local executor: the run's models and judges called in this process under asyncio."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tightrope.errors import InputError
from tightrope.run.executors._base import executor

if TYPE_CHECKING:
    from tightrope.judges import Judge, JudgeItem
    from tightrope.records import Attempt, GenerationConfig, Response, Verdict
    from tightrope.run.resolution import ResolvedRun
    from tightrope.targets.cached import CachedModel


class LocalRun:
    """One run's calls, made by its own models: a batch per call, `max_concurrency` in flight."""

    def shard_size(self, model: CachedModel) -> int:
        """Return the model's batch size."""
        return model.max_batch_size

    def parallel(self, model: CachedModel) -> int:
        """Return the model's concurrency."""
        return model.max_concurrency

    async def prepare(self, model: CachedModel) -> None:
        """Load the model (in a worker thread) once."""
        await model.ensure_loaded()

    async def generate(
        self, model: CachedModel, shard: Sequence[tuple[Attempt, str]], generation: GenerationConfig
    ) -> list[Response]:
        """Ask the model for one batch through its cache-first wrapper."""
        return await model.answer([a.messages for a, _ in shard], generation, [k for _, k in shard])

    async def score_choices(
        self,
        model: CachedModel,
        shard: Sequence[tuple[Attempt, str]],
        options: Sequence[str],
        generation: GenerationConfig,
    ) -> list[Response]:
        """Score one batch of multiple-choice attempts through the cache-first wrapper (in this
        process under every executor: a Ray run scores them on the driver)."""
        return await model.answer_choices(
            [a.messages for a, _ in shard], options, generation, [k for _, k in shard]
        )

    def judge_parallel(self) -> int:
        """One judge batch at a time (an LLM judge batches and limits its own calls)."""
        return 1

    async def judge(self, name: str, judge: Judge, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Ask the judge in this process."""
        return list(await judge.judge(list(items)))


class LocalExecutor:
    """The default executor: everything in this process."""

    name = "local"

    def bind(self, resolved: ResolvedRun) -> LocalRun:
        """Return the local executor of a run."""
        return LocalRun()

    async def aclose(self) -> None:
        """Nothing to release."""


LOCAL = LocalExecutor()


@executor("local", help="this process, asyncio (the default)")
def local_executor(arg: str | None = None, **options: Any) -> LocalExecutor:
    """Return the local executor (it takes no address)."""
    if arg:
        raise InputError(f"--executor local:{arg}: the local executor takes no address")
    return LOCAL
