"""Cache-first model calls for adaptive attacks: every call is looked up in the run store's
response cache first, and every successful answer enters the cache as soon as it arrives.

The key is the same hash as `runner.cache_key` (model spec and version, generation parameters,
exact messages), so a target query made by an adaptive attack and a static attempt with the
same messages share one cache entry. Identical calls in one batch are made once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from tightrope.records import GenerationConfig, Message, Response, stable_hash
from tightrope.store.store import Store
from tightrope.targets import Target


def call_key(model: Target, messages: Sequence[Message], generation: GenerationConfig) -> str:
    """Return the cache key of one model call; the same hash as `runner.cache_key`."""
    return stable_hash(
        {
            "target": model.spec,
            "target_version": model.version,
            "generation": generation.model_dump(),
            "messages": [m.model_dump() for m in messages],
        }
    )


class CachedCalls:
    """Cache-first model calls, counted: calls made, cache hits, responses per role."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.calls = 0
        self.hits = 0
        self.used: dict[str, list[tuple[str, Response]]] = {}
        self._limits: dict[int, asyncio.Semaphore] = {}

    def _limit(self, model: Target) -> asyncio.Semaphore:
        key = id(model)
        if key not in self._limits:
            self._limits[key] = asyncio.Semaphore(max(1, model.max_concurrency))
        return self._limits[key]

    async def call(
        self,
        role: str,
        model: Target,
        calls: Sequence[tuple[Sequence[Message], GenerationConfig]],
    ) -> tuple[list[Response], list[bool]]:
        """Return one response per call and whether each came from the cache."""
        keys = [call_key(model, m, g) for m, g in calls]
        cached = self.store.cached(set(keys))
        out: dict[str, Response] = dict(cached)
        todo: dict[str, tuple[Sequence[Message], GenerationConfig]] = {}
        for key, c in zip(keys, calls, strict=True):
            if key not in cached:
                todo.setdefault(key, c)
        groups: dict[GenerationConfig, list[str]] = {}
        for key, (_, g) in todo.items():
            groups.setdefault(g, []).append(key)
        size = max(1, model.max_batch_size)

        async def run_batch(g: GenerationConfig, batch: list[str]) -> None:
            async with self._limit(model):
                responses = await model.generate([todo[k][0] for k in batch], g)
            self.calls += len(batch)
            out.update(zip(batch, responses, strict=True))
            self.store.put_cache(
                [(k, model.spec, r) for k, r in zip(batch, responses, strict=True)]
            )

        await asyncio.gather(
            *(
                run_batch(g, ks[i : i + size])
                for g, ks in groups.items()
                for i in range(0, len(ks), size)
            )
        )
        self.hits += sum(k in cached for k in keys)
        responses = [out[k] for k in keys]
        self.used.setdefault(role, []).extend((model.spec, r) for r in responses)
        return responses, [k in cached for k in keys]
