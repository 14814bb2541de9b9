"""`python:module:function`: a user's own callable as a target.

The function receives the messages (a list of {"role", "content"} dicts) and the generation
parameters (a dict) and returns the response text, either directly or as an awaitable. An
exception it raises becomes an error record, never a response.

A synchronous function runs in a worker thread, so up to `concurrency` calls are in flight at
once and the event loop stays free; an async function runs on the loop. Either way, with the
`timeout` setting (`--timeout`) a call that has not answered in time becomes an error record.
A thread cannot be stopped from outside: a timed-out synchronous call keeps its thread (a
daemon thread, so it never keeps the process alive) until the function returns.

Cache version: a function with a `tightrope_version` attribute is versioned by it (part of every
cache key). Otherwise its cache version is a hash of its own source, so editing the function
makes the next run ask it again instead of replaying the old answers; what the function calls is
not hashed (set `tightrope_version`, or run with `--cache refresh`, after changing that).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import importlib
import inspect
import os
import sys
import threading
import time
from collections.abc import Awaitable, Callable, Coroutine, Sequence
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


def is_async(fn: Callable[..., Any]) -> bool:
    """Return True when calling `fn` gives a coroutine (an async def, or an object whose
    `__call__` is one): such a function runs on the event loop, others in a thread."""
    call = type(fn).__call__ if not inspect.isroutine(fn) else None
    return inspect.iscoroutinefunction(fn) or inspect.iscoroutinefunction(call)


async def in_thread(fn: Callable[..., Any], *args: Any) -> Any:
    """Return `fn(*args)` computed in a new daemon thread, without blocking the event loop.

    Not `asyncio.to_thread`: its executor has min(32, CPUs + 4) workers (fewer than a
    concurrency of 8 on a small machine) and is joined when the process exits, so one hung
    call would keep tightrope from ever exiting. Cancelling the await (a timeout) abandons the
    thread; its late result is dropped.
    """
    loop = asyncio.get_running_loop()
    future: asyncio.Future[Any] = loop.create_future()

    def settle(value: Any, error: BaseException | None) -> None:
        if future.done():
            return
        if error is None:
            future.set_result(value)
        else:
            future.set_exception(error)

    def work() -> None:
        value: Any = None
        error: BaseException | None = None
        try:
            value = fn(*args)
        except Exception as exc:
            error = exc
        except BaseException as exc:  # SystemExit and the like: an error of this call only
            error = RuntimeError(f"the function raised {type(exc).__name__}")
        with contextlib.suppress(RuntimeError):  # a closed loop: the run ended without it
            loop.call_soon_threadsafe(settle, value, error)

    threading.Thread(target=work, name="tightrope-python-target", daemon=True).start()
    return await future


def _forget(task: asyncio.Future[Any]) -> None:
    """Retrieve an abandoned call's outcome, so asyncio does not log it as never retrieved."""
    if not task.cancelled():
        task.exception()


class PythonTarget(TargetBase):
    """Calls a user function once per conversation, up to `max_concurrency` at a time."""

    max_batch_size = 1

    def __init__(self, ref: str, *, concurrency: int = 4, timeout: float | None = None) -> None:
        self.spec = f"python:{ref}"
        self._fn = _import_callable(ref)
        self._async = is_async(self._fn)
        self._timeout = timeout
        explicit = getattr(self._fn, "tightrope_version", None)
        self.version = str(explicit if explicit is not None else "0")
        self.cache_version = None if explicit is not None else source_version(self._fn)
        self.max_concurrency = concurrency

    async def _call(self, messages: list[dict[str, str]], params: dict[str, Any]) -> Any:
        if self._async:
            result = self._fn(messages, params)
        else:
            result = await in_thread(self._fn, messages, params)
        if inspect.isawaitable(result):  # a sync function may still hand back an awaitable
            result = await result
        return result

    async def _within_timeout(self, call: Coroutine[Any, Any, Any]) -> Any:
        """Return what `call` returns; TimeoutError when it outlasts the timeout setting.

        A TimeoutError the function raises itself passes through as it is.
        """
        task = asyncio.ensure_future(call)
        done, _ = await asyncio.wait({task}, timeout=self._timeout)
        if not done:
            task.cancel()
            task.add_done_callback(_forget)
            raise TimeoutError(f"no answer within {self._timeout:g} s (the timeout setting)")
        return task.result()

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return the function's answer for each conversation; an exception or a call that
        outlasts the `timeout` setting is an error."""
        out = []
        for messages in batch:
            start = time.perf_counter()
            try:
                result = await self._within_timeout(
                    self._call([m.model_dump() for m in messages], config.model_dump())
                )
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
    return PythonTarget(ref, **pick_settings(settings, {"concurrency", "timeout"}))
