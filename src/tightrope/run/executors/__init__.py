"""Executors: where a run's model and judge calls are carried out (`--executor`).

The stages (run/generate.py, run/judge.py) decide what is asked, read the cache and write every
answer to the store; an executor only carries out the calls the cache could not answer and hands
the answers back. `local` (the default) calls the run's models in this process under asyncio;
`ray` or `ray:ADDRESS` sends them in shards to Ray workers (run/executors/ray_pool.py). Either
way the driver is the only writer of the store, so its guarantees (resume, idempotent writes by
attempt id, the response cache) are those of a local run.

New executors register with `@executor("name")`; the factory takes the part after the colon
(an address, or None) and keyword options (`workers`).
"""

from __future__ import annotations

from tightrope.run.executors._base import (
    Executor,
    RunExecutor,
    executor,
    executors,
    get_executor,
)

__all__ = ["Executor", "RunExecutor", "executor", "executors", "get_executor"]
