"""The event loop a run goes on: uvloop where installed (the `fast` extra), else asyncio's own.

uvloop runs the same coroutines with less CPU per socket event, which is what bounds a run
against a fast local endpoint (docs/benchmarks.md). `TIGHTROPE_EVENT_LOOP=asyncio` keeps
asyncio's loop (to compare, or to rule the loop out when something misbehaves). Interrupts
behave alike on both: `asyncio.Runner` cancels the run on Ctrl-C and raises KeyboardInterrupt.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """Return uvloop's loop factory when uvloop is installed and not turned off, else None
    (asyncio's default loop)."""
    if os.environ.get("TIGHTROPE_EVENT_LOOP", "").strip().lower() == "asyncio":
        return None
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def loop_name() -> str:
    """Return the name of the loop `run` would use: "uvloop" or "asyncio"."""
    return "asyncio" if loop_factory() is None else "uvloop"


def run(main: Coroutine[Any, Any, T]) -> T:
    """Run `main` to completion on a new event loop (see the module) and return its result."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
