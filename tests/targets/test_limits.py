"""The adaptive concurrency limit and the retry loop, driven directly (no HTTP)."""

from __future__ import annotations

import asyncio
import time

from tightrope.records import Response
from tightrope.targets.limits import AdaptiveLimiter
from tightrope.targets.retry import CallFailed, Failure, RetryPolicy, call_with_retries


def test_the_limit_holds_under_contention_and_every_request_gets_through() -> None:
    limiter = AdaptiveLimiter(4, initial=2)
    seen: list[int] = []

    async def one(i: int) -> int:
        async with limiter.slot():
            seen.append(limiter.in_flight)
            await asyncio.sleep(0.001 * (i % 3))
        limiter.success()  # as the retry loop does after each good answer
        return i

    async def main() -> list[int]:
        return await asyncio.gather(*(one(i) for i in range(200)))

    assert asyncio.run(main()) == list(range(200))
    assert max(seen) <= 4 and limiter.peak_in_flight == max(seen)
    assert limiter.history[0] == 2 and limiter.limit == 4, "the limit grew while healthy"
    assert limiter.in_flight == 0


def test_a_growing_limit_wakes_waiting_requests() -> None:
    limiter = AdaptiveLimiter(3, initial=1)

    async def main() -> int:
        async def hold() -> None:
            async with limiter.slot():
                await asyncio.sleep(0.05)

        async with limiter.slot():
            waiters = [asyncio.create_task(hold()) for _ in range(2)]
            await asyncio.sleep(0.01)
            assert limiter.in_flight == 1, "the others wait at limit 1"
            limiter.limit = 2
            limiter.success()  # a streak of `limit` successes: the limit grows to 3
            limiter.success()
            await asyncio.sleep(0.01)
            in_flight = limiter.in_flight
        await asyncio.gather(*waiters)
        return in_flight

    assert asyncio.run(main()) == 3


def test_retry_after_pauses_every_new_request() -> None:
    limiter = AdaptiveLimiter(8)

    async def main() -> float:
        limiter.rate_limited(0.2)
        start = time.monotonic()
        async with limiter.slot():
            pass
        return time.monotonic() - start

    assert asyncio.run(main()) >= 0.19
    assert limiter.limit == 4, "a 429 halves the limit"


def test_a_cancelled_waiter_gives_its_turn_away() -> None:
    limiter = AdaptiveLimiter(1)

    async def main() -> bool:
        async with limiter.slot():
            doomed = asyncio.create_task(limiter.acquire())
            later = asyncio.create_task(limiter.acquire())
            await asyncio.sleep(0.01)
            doomed.cancel()
        await asyncio.wait_for(later, 1.0)
        await limiter.release()
        return doomed.cancelled()

    assert asyncio.run(main())
    assert limiter.in_flight == 0


def test_the_retry_loop_retries_then_records_an_error() -> None:
    calls = 0

    async def flaky() -> Response:
        nonlocal calls
        calls += 1
        if calls < 3:
            raise CallFailed(Failure("HTTP 503: busy", retryable=True))
        return Response(text="ok")

    policy = RetryPolicy(attempts=3, base_delay=0.001, max_delay=0.002)
    ok = asyncio.run(call_with_retries(flaky, policy=policy, limiter=AdaptiveLimiter(2)))
    assert ok.text == "ok" and calls == 3 and ok.latency_s > 0
    calls = 0
    short = RetryPolicy(attempts=2, base_delay=0.001, max_delay=0.002)
    bad = asyncio.run(call_with_retries(flaky, policy=short, limiter=AdaptiveLimiter(2)))
    assert bad.error == "HTTP 503: busy (after 2 attempts)" and calls == 2
