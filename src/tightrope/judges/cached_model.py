"""Judge models that answer from the run store's response cache first.

A judge call is a model call like any other: its key is the same hash as a target call's (model
spec and version, generation parameters, exact messages), successful answers enter the cache
as they arrive, and failures never do (they are retried next time). So re-running a finished
run with an LLM judge makes zero model calls, and a run killed while judging resumes without
asking the judge again for what it already answered (DESIGN.md, invariant 3).
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any

from tightrope.attacks.cached_calls import call_key
from tightrope.judges._base import Judge
from tightrope.records import GenerationConfig, Message, Response
from tightrope.store.store import Store


class CachedModel:
    """A target wrapper: cache first, then the model (loaded only on the first miss)."""

    def __init__(self, inner: Any, store: Store) -> None:
        self.inner = inner
        self.store = store
        self.spec: str = inner.spec
        self.version: str = inner.version
        self.max_batch_size: int = inner.max_batch_size
        self.max_concurrency: int = inner.max_concurrency
        self.calls = 0
        self.hits = 0
        self._loaded = False
        self._load_lock = asyncio.Lock()

    def load(self) -> None:
        """Do nothing: the model is loaded on the first call the cache cannot answer."""

    async def _ensure_loaded(self) -> None:
        async with self._load_lock:
            if not self._loaded:
                load = getattr(self.inner, "load", None)
                if callable(load):
                    await asyncio.to_thread(load)
                self._loaded = True

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation: cached where possible, else the model's."""
        keys = [call_key(self.inner, m, config) for m in batch]
        cached = self.store.cached(keys)
        misses = [i for i, k in enumerate(keys) if k not in cached]
        out: list[Response | None] = [cached.get(k) for k in keys]
        self.hits += len(batch) - len(misses)
        if misses:
            await self._ensure_loaded()
            answers = list(await self.inner.generate([batch[i] for i in misses], config))
            self.calls += len(misses)
            if len(answers) == len(misses):
                self.store.put_cache(
                    [(keys[i], self.spec, r) for i, r in zip(misses, answers, strict=True)]
                )
                for i, r in zip(misses, answers, strict=True):
                    out[i] = r
            else:
                for i in misses:
                    out[i] = Response(error="the backend returned a wrong number of responses")
        return [r if r is not None else Response(error="no response") for r in out]

    async def aclose(self) -> None:
        """Close the wrapped model's client, if it has one."""
        close = getattr(self.inner, "aclose", None)
        if callable(close):
            await close()


def cache_judge_models(judges: Iterable[Judge], store: Store) -> list[CachedModel]:
    """Route the models of LLM judges (panel members included) through the store's cache.

    Returns the wrappers, whose `calls` and `hits` count what the judges cost.
    """
    wrapped: list[CachedModel] = []
    for j in judges:
        members = getattr(j, "members", None)
        if members is not None:
            wrapped += cache_judge_models(members, store)
        model = getattr(j, "model", None)
        if model is None or not hasattr(model, "generate"):
            continue
        if isinstance(model, CachedModel):
            model = model.inner
        cached = CachedModel(model, store)
        j.model = cached  # type: ignore[attr-defined]
        wrapped.append(cached)
    return wrapped
