"""The executor protocol and its registry; `get_executor` turns `--executor SPEC` into one."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tightrope.errors import InputError, UnknownNameError
from tightrope.registry import Registry

if TYPE_CHECKING:
    from tightrope.judges import Judge, JudgeItem
    from tightrope.records import Attempt, GenerationConfig, Response, Verdict
    from tightrope.run.resolution import ResolvedRun
    from tightrope.targets.cached import CachedModel


class RunExecutor(Protocol):
    """How one run's calls are carried out (an executor bound to a resolved run)."""

    def shard_size(self, model: CachedModel) -> int:
        """Return how many attempts of `model` go out in one piece of work."""
        ...

    def parallel(self, model: CachedModel) -> int:
        """Return how many pieces of work of `model` may be in flight at once."""
        ...

    async def prepare(self, model: CachedModel) -> None:
        """Get `model` ready before generation (load it, or start the workers that hold it)."""
        ...

    async def generate(
        self, model: CachedModel, shard: Sequence[tuple[Attempt, str]], generation: GenerationConfig
    ) -> list[Response]:
        """Return one response per (attempt, cache key) of `shard`, the model asked (no cache
        lookup: the stage did it); successes are cached, failures come back as error Responses."""
        ...

    async def score_choices(
        self,
        model: CachedModel,
        shard: Sequence[tuple[Attempt, str]],
        options: Sequence[str],
        generation: GenerationConfig,
    ) -> list[Response]:
        """Return one response per multiple-choice attempt of `shard`, scored by the
        log-likelihood of its option letters (`options`, one string per attempt) as `generate`
        returns generated ones (`--choice-scoring loglik`)."""
        ...

    def judge_parallel(self) -> int:
        """Return how many judge batches may be in flight at once."""
        ...

    async def judge(self, name: str, judge: Judge, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Return one verdict per item from the run's judge `name`."""
        ...


class Executor(Protocol):
    """Carries out the calls of runs; one executor may serve many runs (a sweep's cells)."""

    name: str

    def bind(self, resolved: ResolvedRun) -> RunExecutor:
        """Return the executor of one resolved run."""
        ...

    async def aclose(self) -> None:
        """Release what the executor holds (workers, a cluster it started)."""
        ...


F = TypeVar("F", bound=Callable[..., object])
executors: Registry[Executor] = Registry("executor")


def executor(name: str, *, help: str = "") -> Callable[[F], F]:
    """Register an executor factory under `name` (`--executor NAME[:ARG]`)."""
    return executors.register(name, help=help)


def get_executor(spec: str | None, **options: Any) -> Executor:
    """Return the executor that `--executor SPEC` names (`local`, `ray`, `ray:ADDRESS`).

    InputError (one line, exit 2) for an unknown name, or when the executor's package is
    missing (the factory says how to install it).
    """
    from tightrope.run.executors import local as _local  # noqa: F401  (registers `local`)
    from tightrope.run.executors import ray_pool as _ray  # noqa: F401  (registers `ray`)

    name, _, arg = (spec or "local").partition(":")
    try:
        factory = executors.get(name.strip())
    except UnknownNameError as exc:
        raise InputError(f"--executor {spec}: {exc}") from None
    return factory(arg.strip() or None, **options)
