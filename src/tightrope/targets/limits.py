"""An adaptive concurrency limit per endpoint: grow while healthy, shrink on rate limits.

Additive increase, multiplicative decrease (as TCP does): every `limit` successes in a row add
one slot up to `maximum`; a 429 halves the limit (not below `minimum`) and, with Retry-After,
pauses every new request to the endpoint until that time has passed.
"""

from __future__ import annotations

import asyncio
import time
from types import TracebackType


class AdaptiveLimiter:
    """Caps requests in flight at a limit that adapts to the endpoint's health."""

    def __init__(self, maximum: int, *, initial: int | None = None, minimum: int = 1) -> None:
        if maximum < 1:
            raise ValueError("maximum concurrency must be at least 1")
        self.maximum = maximum
        self.minimum = max(1, min(minimum, maximum))
        self.limit = max(self.minimum, min(initial or maximum, maximum))
        self.in_flight = 0
        self.peak_in_flight = 0
        self.history: list[int] = [self.limit]
        self._streak = 0
        self._paused_until = 0.0
        self._waiting = 0  # requests queued in `acquire`
        self._cond: asyncio.Condition | None = None

    def _condition(self) -> asyncio.Condition:
        if self._cond is None:
            self._cond = asyncio.Condition()
        return self._cond

    def slot(self) -> _Slot:
        """Hold one request slot for the duration of an `async with` block."""
        return _Slot(self)

    async def acquire(self) -> None:
        """Wait for a free slot (and for a Retry-After pause to end), then take it.

        The fast path takes a free slot at once when nobody waits and no pause is set (no
        await between the check and the take, so no other task can slip in); otherwise the
        request queues on the condition, and nobody overtakes a waiting request.
        """
        if (
            not self._waiting
            and self.in_flight < self.limit
            and (not self._paused_until or self._paused_until <= time.monotonic())
        ):
            self._take()
            return
        cond = self._condition()
        self._waiting += 1
        try:
            async with cond:
                while True:
                    wait = self._paused_until - time.monotonic()
                    if wait > 0:
                        cond.release()
                        try:
                            await asyncio.sleep(wait)
                        finally:
                            await cond.acquire()
                        continue
                    if self.in_flight < self.limit:
                        break
                    await cond.wait()
                self._take()
        finally:
            self._waiting -= 1

    def _take(self) -> None:
        self.in_flight += 1
        if self.in_flight > self.peak_in_flight:
            self.peak_in_flight = self.in_flight

    async def release(self) -> None:
        """Give a slot back and wake the requests waiting for one."""
        self.in_flight -= 1
        if self._waiting:
            cond = self._condition()
            async with cond:
                cond.notify_all()

    def success(self) -> None:
        """Record a healthy response; after `limit` in a row, allow one more in flight."""
        self._streak += 1
        if self._streak >= self.limit and self.limit < self.maximum:
            self.limit += 1
            self._streak = 0
            self.history.append(self.limit)
            if self._waiting:
                asyncio.get_running_loop().create_task(self._wake())

    def rate_limited(self, retry_after: float | None) -> None:
        """Record a 429: halve the limit and pause new requests for `retry_after` seconds."""
        self._streak = 0
        new = max(self.minimum, self.limit // 2)
        if new != self.limit:
            self.limit = new
            self.history.append(self.limit)
        if retry_after:
            self._paused_until = max(self._paused_until, time.monotonic() + retry_after)

    async def _wake(self) -> None:
        cond = self._condition()
        async with cond:
            cond.notify_all()


class _Slot:
    """`async with limiter.slot():` holds one slot of `limiter` (a class, not a generator:
    this runs once per request)."""

    __slots__ = ("_limiter",)

    def __init__(self, limiter: AdaptiveLimiter) -> None:
        self._limiter = limiter

    async def __aenter__(self) -> None:
        await self._limiter.acquire()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self._limiter.release()
