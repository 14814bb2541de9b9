"""`python:module:function`: a user's own callable as a target.

The function receives the messages (a list of {"role", "content"} dicts) and the generation
parameters (a dict) and returns the response text, either directly or as an awaitable. An
exception it raises becomes an error record, never a response.

Cache version: a function with a `tightrope_version` attribute is versioned by it (part of every
cache key). Otherwise its cache version is a hash of its own source, so editing the function
makes the next run ask it again instead of replaying the old answers; what the function calls is
not hashed (set `tightrope_version`, or run with `--cache refresh`, after changing that).
"""

from __future__ import annotations

import hashlib
import importlib
import inspect
import os
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response
from tightrope.targets._base import Target, TargetBase, pick_settings, target

UserFn = Callable[[list[dict[str, str]], dict[str, Any]], str | Awaitable[str]]


def _import_callable(ref: str) -> UserFn:
    module_name, sep, attr = ref.rpartition(":")
    if not sep or not module_name or not attr:
        raise InputError(f"target 'python:{ref}' must look like python:package.module:function")
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise InputError(f"target 'python:{ref}': cannot import {module_name!r} ({exc})") from None
    fn = getattr(module, attr, None)
    if not callable(fn):
        raise InputError(f"target 'python:{ref}': {module_name} has no callable {attr!r}")
    return fn  # type: ignore[no-any-return]


def source_version(fn: Callable[..., Any]) -> str | None:
    """Return a short hash of the function's source, or None when Python cannot show it."""
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):
        return None
    return "src:" + hashlib.sha256(source.encode("utf-8")).hexdigest()[:16]


class PythonTarget(TargetBase):
    """Calls a user function once per conversation, up to `max_concurrency` at a time."""

    max_batch_size = 1

    def __init__(self, ref: str, *, concurrency: int = 4) -> None:
        self.spec = f"python:{ref}"
        self._fn = _import_callable(ref)
        explicit = getattr(self._fn, "tightrope_version", None)
        self.version = str(explicit if explicit is not None else "0")
        self.cache_version = None if explicit is not None else source_version(self._fn)
        self.max_concurrency = concurrency

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return the function's answer for each conversation; an exception is an error."""
        out = []
        for messages in batch:
            start = time.perf_counter()
            try:
                result = self._fn([m.model_dump() for m in messages], config.model_dump())
                if inspect.isawaitable(result):
                    result = await result
                if not isinstance(result, str):
                    raise TypeError(f"returned {type(result).__name__}, expected str")
                out.append(
                    Response(
                        text=result, finish_reason="stop", latency_s=time.perf_counter() - start
                    )
                )
            except Exception as exc:
                out.append(
                    Response(
                        error=f"{type(exc).__name__}: {exc}", latency_s=time.perf_counter() - start
                    )
                )
        return out


@target("python")
def python_target(ref: str, **settings: Any) -> Target:
    """A Python callable: python:package.module:function."""
    return PythonTarget(ref, **pick_settings(settings, {"concurrency"}))
