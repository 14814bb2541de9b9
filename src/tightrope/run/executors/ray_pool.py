"""The Ray executor (`--executor ray` or `ray:ADDRESS`): shards of calls answered by Ray workers.

The driver (the `tightrope` process) plans, reads the cache and writes the store as in a local
run; what the cache cannot answer goes out in shards to a pool of Ray actors
(`ray_worker.Worker`), each of which holds its own clients and models and answers a shard as a
local run would. The answers come back to the driver, which caches and stores them, so the
store has one writer and its guarantees hold:

* a worker killed mid-shard (kill -9) is restarted by Ray and its shard asked again
  (`max_restarts`, `max_task_retries`); nothing was written for it, and responses are stored by
  attempt id (`INSERT OR REPLACE`), so nothing is lost and nothing is stored twice. A shard whose
  retries are spent comes back as error Responses (never refusals), which the next run retries;
* a driver killed mid-run leaves the store as a local run would: the same command resumes it.

Local models (`hf:`, `embedded:`, `llamacpp:`) load once per actor; where the cluster has GPUs
each actor declares one (`num_gpus=1`). Judges that call a model (LLM judges, panels) run on
the driver, through the run's response cache; judges that compute (string matchers, the
learned refusal classifier) run on the workers. Ray is imported only when this executor is
chosen; without it, `--executor ray` says how to install it (exit 2).
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from tightrope.errors import InputError
from tightrope.records import Response, Verdict
from tightrope.run.executors._base import executor
from tightrope.run.executors.local import LocalRun
from tightrope.targets._base import is_local

if TYPE_CHECKING:
    from tightrope.judges import Judge, JudgeItem
    from tightrope.records import Attempt, GenerationConfig
    from tightrope.run.resolution import ResolvedRun
    from tightrope.targets.cached import CachedModel

INSTALL = "pip install 'tightrope[ray]'"
# Shards in flight per worker: one being answered while the next one travels.
PER_WORKER = 2
# Largest shard of a remote model; a shard is at least a batch of a local one.
MAX_SHARD = 256
# Times Ray restarts a dead actor, and retries a shard whose actor died.
MAX_RESTARTS = 4
MAX_TASK_RETRIES = 3


def ray_module() -> Any:
    """Return the `ray` module; InputError (exit 2) saying how to install it when missing."""
    try:
        import ray
    except ImportError:
        raise InputError(
            f"--executor ray needs Ray, which is not installed; install it with {INSTALL} "
            "(or use --executor local)"
        ) from None
    return ray


class RayExecutor:
    """A pool of Ray workers shared by every run it serves (every cell of a sweep)."""

    name = "ray"

    def __init__(self, address: str | None = None, *, workers: int | None = None) -> None:
        self.address = address
        self.workers = workers
        self._started_cluster = False
        self._actors: list[Any] = []
        self._slots: asyncio.Queue[int] | None = None
        self._gpus = False

    def _ray(self) -> Any:
        """Return `ray`, connected: to ADDRESS, to the cluster already joined, or to a new
        local one (this machine's, stopped by `aclose`)."""
        ray = ray_module()
        if not ray.is_initialized():
            # tightrope's own settings (TIGHTROPE_DATA_DIR, TIGHTROPE_PRICES, ...) follow the
            # driver to the workers; API keys do not: each node reads its own environment.
            forwarded = {k: v for k, v in os.environ.items() if k.startswith("TIGHTROPE_")}
            options: dict[str, Any] = {
                "logging_level": "ERROR",
                "log_to_driver": False,
                "configure_logging": False,
                "runtime_env": {"env_vars": forwarded} if forwarded else None,
            }
            try:
                if self.address:
                    ray.init(address=self.address, **options)
                else:
                    # A cluster of this machine only; Ray resolves 127.0.0.1 to the machine's
                    # address and its servers listen on every interface (docs/scaling.md).
                    ray.init(num_cpus=self.workers, include_dashboard=False, **options)
                    self._started_cluster = True
            except (ConnectionError, RuntimeError, ValueError) as exc:
                where = self.address or "a local cluster"
                raise InputError(
                    f"--executor ray: cannot reach {where} ({' '.join(str(exc).split())}); "
                    "give the head node's address as ray:HOST:PORT"
                ) from None
        return ray

    def _pool(self, local_models: bool) -> list[Any]:
        """Start the workers once: one per CPU of the cluster (or `workers`), each declaring a
        GPU where the cluster has them and the run has a local model."""
        if self._actors:
            return self._actors
        ray = self._ray()
        from tightrope.run.executors.ray_worker import Worker

        resources = ray.cluster_resources()
        gpus = int(resources.get("GPU", 0))
        self._gpus = local_models and gpus > 0
        default = gpus if self._gpus else max(1, int(resources.get("CPU", 1)))
        n = self.workers or default
        remote = ray.remote(Worker).options(
            num_cpus=1,
            num_gpus=1 if self._gpus else 0,
            max_restarts=MAX_RESTARTS,
            max_task_retries=MAX_TASK_RETRIES,
            max_concurrency=64,
        )
        self._actors = [remote.remote() for _ in range(n)]
        return self._actors

    def pids(self) -> list[int]:
        """Return the process id of each worker (what a test kills)."""
        ray = self._ray()
        return [int(pid) for pid in ray.get([a.pid.remote() for a in self._actors])]

    def bind(self, resolved: ResolvedRun) -> RayRun:
        """Return the Ray executor of one resolved run (the pool starts on first use)."""
        local = any(is_local(spec) for spec in resolved.models)
        self._slots = None  # made again in this run's event loop
        return RayRun(self, resolved, local_models=local)

    async def call(self, method: str, *args: Any) -> Any:
        """Run `method` on a free worker slot and return its result (awaited, not blocking)."""
        if self._slots is None:
            self._slots = asyncio.Queue()
            for i in range(len(self._actors)):
                for _ in range(PER_WORKER):
                    self._slots.put_nowait(i)
        i = await self._slots.get()
        try:
            return await getattr(self._actors[i], method).remote(*args)
        finally:
            self._slots.put_nowait(i)

    async def aclose(self) -> None:
        """Stop the workers, and the local cluster if this executor started it."""
        if not self._actors and not self._started_cluster:
            return
        ray = ray_module()
        for actor in self._actors:
            ray.kill(actor)
        self._actors = []
        self._slots = None
        if self._started_cluster:
            ray.shutdown()
            self._started_cluster = False


class RayRun(LocalRun):
    """One run's calls on the pool: target shards and computing judges go to the workers."""

    def __init__(self, pool: RayExecutor, resolved: ResolvedRun, *, local_models: bool) -> None:
        self.pool = pool
        self.settings = dict(resolved.config.target_settings)
        self.local_models = local_models

    def _workers(self) -> int:
        return len(self.pool._pool(self.local_models))

    def shard_size(self, model: CachedModel) -> int:
        """Return a batch of a local model, else enough calls to keep a worker's client busy."""
        if is_local(model.spec):
            return model.max_batch_size
        return max(model.max_batch_size, min(MAX_SHARD, 2 * model.max_concurrency))

    def parallel(self, model: CachedModel) -> int:
        """Return the shards in flight: `PER_WORKER` per worker."""
        return PER_WORKER * self._workers()

    async def prepare(self, model: CachedModel) -> None:
        """Start the pool; a local model is loaded in every worker now, not in the driver."""
        actors = self.pool._pool(self.local_models)
        if is_local(model.spec):
            await asyncio.gather(*(a.load.remote(model.spec, self.settings) for a in actors))

    async def generate(
        self, model: CachedModel, shard: Sequence[tuple[Attempt, str]], generation: GenerationConfig
    ) -> list[Response]:
        """Have a worker answer the shard; cache its successes here, as the model would."""
        conversations = [a.messages for a, _ in shard]
        reserved = 0.0
        if model.budget is not None:
            reserved = model.budget.reserve(model.spec, conversations, generation)
        payload = json.dumps([[m.model_dump(mode="json") for m in c] for c in conversations])
        try:
            raw = await self.pool.call(
                "generate", model.spec, self.settings, payload, generation.model_dump_json()
            )
            out = [Response.model_validate_json(r) for r in raw]
        except Exception as exc:  # a worker lost for good, or the cluster gone
            reason = " ".join(str(exc).split())[:300]
            out = [Response(error=f"ray worker failed: {type(exc).__name__}: {reason}")] * len(
                shard
            )
        if model.budget is not None:
            model.budget.settle(model.spec, reserved, out)
        model.calls += len(shard)
        if model.cache is not None and model.writes_cache:
            model.cache.put_cache(
                [(k, model.spec, r) for (_, k), r in zip(shard, out, strict=True) if r.ok],
                model.cache_version,
            )
        return out

    def judge_parallel(self) -> int:
        """Return the judge batches in flight: `PER_WORKER` per worker."""
        return PER_WORKER * self._workers()

    async def judge(self, name: str, judge: Judge, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Ask a worker when the judge computes; a judge that calls a model stays here."""
        from tightrope.judges import error_verdicts, judges, needs_model

        if name not in judges or needs_model(name):
            return await super().judge(name, judge, items)
        payload = [(i.behavior.model_dump_json(), i.response) for i in items]
        try:
            raw = await self.pool.call("judge", name, payload)
        except Exception as exc:
            return error_verdicts(name, judge, len(items), exc, what="ray worker failed")
        return [Verdict.model_validate_json(v) for v in raw]


@executor("ray", help="Ray workers: a local cluster, or ray:ADDRESS (tightrope[ray])")
def ray_executor(address: str | None = None, *, workers: int | None = None) -> RayExecutor:
    """Return a Ray executor for the cluster at `address` (None: a local one started here);
    InputError with the install command when Ray is missing."""
    ray_module()
    return RayExecutor(address, workers=workers)
