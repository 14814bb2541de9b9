"""The one cache-first model wrapper: every model call of a run goes through `CachedModel`.

Targets in the generate stage, attackers and targets in adaptive loops, and LLM judges all call
their models through this wrapper, so a call is made, keyed, cached, counted and failed in one
way only:

* the key (`call_key`) is a hash of everything that can change an answer: model spec and
  version, generation parameters, the exact messages (DESIGN.md, invariant 3), and for a
  multiple-choice item scored by log-likelihood (`answer_choices`) the mode and its letters;
* a cached successful answer is returned without calling the model; the model is loaded (in a
  worker thread) only when some call misses the cache, so a run the cache answers whole never
  loads weights or imports an SDK;
* a failure is never cached and always comes back as a Response with `error` set: a backend
  that raises, or returns the wrong number of answers, yields error Responses for its batch
  (invariant 1);
* calls are split into batches of at most `max_batch_size`, at most `max_concurrency` batches in
  flight, and identical calls in one request are made once.

How the cache is used is the run's `--cache` mode (`CACHE_MODES`): read-write (the default),
read-only (answers are read, new ones not stored), off (neither), refresh (every call is made
again and its answer replaces the cached one). A backend with a `cache_version` (a `python:`
target: its function's source hash) reads only entries stored under that version.

The cache itself is the run store (`store.Store` satisfies `ResponseCache`); this module does
not import it, so targets stay below the store in the layering.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, Literal, Protocol, get_args

from tightrope.records import GenerationConfig, Message, Response, stable_hash
from tightrope.targets._base import ScoresChoices, Target

CacheMode = Literal["read-write", "read-only", "off", "refresh"]
CACHE_MODES: tuple[str, ...] = get_args(CacheMode)
DEFAULT_CACHE_MODE: CacheMode = "read-write"


class ResponseCache(Protocol):
    """Where successful answers are kept by cache key (the run store)."""

    def cached(self, keys: Iterable[str], version: str | None = None) -> dict[str, Response]:
        """Return the stored successful responses for the keys that have one; with a
        `version`, entries stored under another version are left out."""
        ...

    def put_cache(
        self, items: Sequence[tuple[str, str, Response]], version: str | None = None
    ) -> None:
        """Store (key, model spec, response) triples; failed responses are skipped."""
        ...


class CostLimitReached(Exception):
    """A call would take the run's spending past `--max-cost`: the run stops, resumable."""


class Budget(Protocol):
    """What calls may cost (`--max-cost`); the run's implementation prices tokens."""

    def reserve(
        self, spec: str, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> float:
        """Return the estimated cost of a batch, held until `settle`; raise CostLimitReached
        when the spending so far plus the estimate would pass the limit."""
        ...

    def settle(self, spec: str, reserved: float, responses: Sequence[Response]) -> None:
        """Replace a reservation by what the answers actually cost."""
        ...


def cache_version(model: Target) -> str | None:
    """Return the backend's cache version (`cache_version` attribute), or None."""
    value = getattr(model, "cache_version", None)
    return None if value is None else str(value)


def call_key(
    model: Target,
    messages: Sequence[Message],
    generation: GenerationConfig,
    *,
    options: str | None = None,
) -> str:
    """Return the cache key of one model call: a hash of everything that can change its answer.

    With `options` (the letters of a multiple-choice item), the call scores those options by
    log-likelihood instead of generating; the key then holds the mode and the letters, so such
    an answer never stands for a generated one. Without it the key is what it always was.
    """
    payload: dict[str, Any] = {
        "target": model.spec,
        "target_version": model.version,
        "generation": generation.model_dump(),
        "messages": [m.model_dump() for m in messages],
    }
    if options is not None:
        payload["scoring"] = {"mode": "loglik", "options": options}
    return stable_hash(payload)


WRONG_COUNT = "the backend returned a wrong number of responses"


class CachedModel:
    """A Target that answers from the cache first, then from the wrapped model.

    Counts what it cost: `calls` made to the model, `hits` answered by the cache, and `used`,
    the responses per role (`attacker`, `judge`, ...) that usage and pricing read.
    """

    def __init__(
        self,
        inner: Target,
        cache: ResponseCache | None = None,
        mode: CacheMode = DEFAULT_CACHE_MODE,
    ) -> None:
        self.inner = inner
        self.cache = cache
        self.mode: CacheMode = mode
        self.budget: Budget | None = None
        self.calls = 0
        self.hits = 0
        self.used: dict[str, list[tuple[str, Response]]] = {}
        self._loaded = False
        self._load_lock = asyncio.Lock()
        self._limit = asyncio.Semaphore(max(1, inner.max_concurrency))

    @property
    def spec(self) -> str:
        """The wrapped model's spec."""
        return self.inner.spec

    @property
    def version(self) -> str:
        """The wrapped model's version (part of every key)."""
        return self.inner.version

    @property
    def max_batch_size(self) -> int:
        """The wrapped model's batch size."""
        return self.inner.max_batch_size

    @property
    def max_concurrency(self) -> int:
        """The wrapped model's concurrency."""
        return self.inner.max_concurrency

    @property
    def cache_version(self) -> str | None:
        """The wrapped model's cache version (a `python:` target's source hash), or None."""
        return cache_version(self.inner)

    @property
    def reads_cache(self) -> bool:
        """True when cached answers are used (modes read-write and read-only)."""
        return self.cache is not None and self.mode in ("read-write", "read-only")

    @property
    def writes_cache(self) -> bool:
        """True when new answers are cached (modes read-write and refresh)."""
        return self.cache is not None and self.mode in ("read-write", "refresh")

    def attach(self, cache: ResponseCache | None, mode: CacheMode | None = None) -> None:
        """Use `cache` from now on, as `mode` says (unchanged when None); None calls the
        model every time."""
        self.cache = cache
        if mode is not None:
            self.mode = mode

    def key(
        self, messages: Sequence[Message], config: GenerationConfig, *, options: str | None = None
    ) -> str:
        """Return the cache key of one call to this model (`options`: see `call_key`)."""
        return call_key(self.inner, messages, config, options=options)

    def load(self) -> object:
        """Do nothing now: the model is loaded on the first call the cache cannot answer."""
        return None

    def release(self) -> None:
        """Free what the wrapped model loaded (a local model's weights); it loads again on the
        next call the cache cannot answer. Backends without `release` hold nothing to free."""
        release = getattr(self.inner, "release", None)
        if callable(release):
            release()
        self._loaded = False

    async def ensure_loaded(self) -> None:
        """Load the wrapped model once, in a worker thread."""
        async with self._load_lock:
            if not self._loaded:
                await asyncio.to_thread(self.inner.load)
                self._loaded = True

    def lookup(self, keys: Iterable[str]) -> dict[str, Response]:
        """Return the cached responses for those keys that have one, counted as cache hits."""
        if self.cache is None or not self.reads_cache:
            return {}
        found = self.cache.cached(keys, self.cache_version)
        self.hits += len(found)
        return found

    async def answer(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig, keys: Sequence[str]
    ) -> list[Response]:
        """Ask the model for one batch (no cache lookup) and cache its successful answers.

        The batch must fit `max_batch_size`; `keys` are the calls' cache keys. Anything the
        backend raises, or a wrong number of answers, becomes error Responses for the batch.
        """
        return await self._ask(batch, config, keys, lambda: self.inner.generate(batch, config))

    async def answer_choices(
        self,
        batch: Sequence[Sequence[Message]],
        options: Sequence[str],
        config: GenerationConfig,
        keys: Sequence[str],
    ) -> list[Response]:
        """Score one batch of multiple-choice items by log-likelihood (no cache lookup) and cache
        the answers, as `answer` does; `options` holds each item's letters and `keys` the keys
        `key(..., options=)` gave. A model without the capability answers with errors."""
        inner = self.inner
        if not isinstance(inner, ScoresChoices):
            reason = f"{self.spec} cannot score options by log-likelihood"
            return [Response(error=reason) for _ in batch]
        return await self._ask(
            batch,
            config,
            keys,
            lambda: inner.score_choices(batch, [list(o) for o in options], config),
        )

    async def _ask(
        self,
        batch: Sequence[Sequence[Message]],
        config: GenerationConfig,
        keys: Sequence[str],
        ask: Callable[[], Awaitable[Sequence[Response]]],
    ) -> list[Response]:
        await self.ensure_loaded()
        async with self._limit:
            reserved = 0.0 if self.budget is None else self.budget.reserve(self.spec, batch, config)
            try:
                out = list(await ask())
            except Exception as exc:
                out = [Response(error=f"{type(exc).__name__}: {exc}") for _ in batch]
            if self.budget is not None:
                self.budget.settle(self.spec, reserved, out)
        if len(out) != len(batch):
            out = [Response(error=WRONG_COUNT) for _ in batch]
        self.calls += len(batch)
        if self.cache is not None and self.writes_cache:
            self.cache.put_cache(
                [(k, self.inner.spec, r) for k, r in zip(keys, out, strict=True) if r.ok],
                self.cache_version,
            )
        return out

    async def call(
        self,
        conversations: Sequence[Sequence[Message]],
        config: GenerationConfig,
        *,
        role: str | None = None,
    ) -> tuple[list[Response], list[bool]]:
        """Return one response per conversation, and whether each came from the cache.

        Identical conversations are asked once; the rest go to the model in batches within its
        limits. With a `role`, the responses are recorded in `used` under it.
        """
        keys = [self.key(m, config) for m in conversations]
        cached = self.lookup(set(keys))
        out: dict[str, Response] = dict(cached)
        todo: dict[str, Sequence[Message]] = {}
        for key, messages in zip(keys, conversations, strict=True):
            if key not in cached:
                todo.setdefault(key, messages)
        # The lookup counted distinct cached keys; count every call the cache answered.
        self.hits += sum(k in cached for k in keys) - len(cached)
        size = max(1, self.inner.max_batch_size)
        pending = list(todo)

        async def one(batch: list[str]) -> None:
            answers = await self.answer([todo[k] for k in batch], config, batch)
            out.update(zip(batch, answers, strict=True))

        await asyncio.gather(*(one(pending[i : i + size]) for i in range(0, len(pending), size)))
        responses = [out[k] for k in keys]
        if role is not None:
            self.used.setdefault(role, []).extend((self.inner.spec, r) for r in responses)
        return responses, [k in cached for k in keys]

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation: cached where possible, else the model's."""
        responses, _ = await self.call(batch, config)
        return responses

    async def aclose(self) -> None:
        """Close the wrapped model's clients."""
        await self.inner.aclose()


def cached_models(targets: Iterable[Target]) -> dict[str, CachedModel]:
    """Return spec -> CachedModel for the given backends, one wrapper per spec."""
    out: dict[str, CachedModel] = {}
    for t in targets:
        if t.spec not in out:
            out[t.spec] = t if isinstance(t, CachedModel) else CachedModel(t)
    return out
