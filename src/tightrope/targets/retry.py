"""Retries with exponential backoff and full jitter for calls to remote models.

A backend wraps one request in `call_with_retries`. Retryable failures (429, 5xx, timeouts,
dropped connections, malformed bodies) are retried up to the policy's attempts; when they run
out, or on a failure that retrying cannot fix (400, 401, 404), the result is a Response with
`error` set: an error record, never a refusal or a verdict (invariant 1).
"""

from __future__ import annotations

import asyncio
import email.utils
import random
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass

from tightrope.records import Message, Response
from tightrope.targets.limits import AdaptiveLimiter


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how patiently to retry one request."""

    attempts: int = 6
    base_delay: float = 0.5
    max_delay: float = 30.0
    timeout: float = 120.0
    seed: int | None = None

    def backoff(self, attempt: int, rng: random.Random) -> float:
        """Return the wait before retry number `attempt` (1-based): full jitter, capped."""
        return rng.uniform(0, min(self.max_delay, self.base_delay * 2 ** (attempt - 1)))


@dataclass(frozen=True)
class Failure:
    """A classified failure of one call."""

    message: str
    retryable: bool
    rate_limited: bool = False
    retry_after: float | None = None


class CallFailed(Exception):
    """Raised by a backend's single call with its classification."""

    def __init__(self, failure: Failure) -> None:
        super().__init__(failure.message)
        self.failure = failure


def redact(text: str, secrets: Sequence[str]) -> str:
    """Return `text` with every secret (API keys) replaced by '[redacted]'."""
    for s in secrets:
        if s and len(s) >= 6:
            text = text.replace(s, "[redacted]")
    return text


async def call_with_retries(
    call: Callable[[], Awaitable[Response]],
    *,
    policy: RetryPolicy,
    limiter: AdaptiveLimiter,
    secrets: Sequence[str] = (),
    rng: random.Random | None = None,
) -> Response:
    """Return the call's Response, retrying classified failures; errors come back as records."""
    start = time.perf_counter()
    last: Failure | None = None
    for attempt in range(1, policy.attempts + 1):
        try:
            # asyncio.timeout, not wait_for: no extra task per request on the hot path.
            async with limiter.slot(), asyncio.timeout(policy.timeout):
                response = await call()
        except CallFailed as exc:
            last = exc.failure
        except TimeoutError:
            last = Failure(f"timed out after {policy.timeout:g} s", retryable=True)
        else:
            limiter.success()
            return response.model_copy(update={"latency_s": time.perf_counter() - start})
        if last.rate_limited:
            limiter.rate_limited(last.retry_after)
        if not last.retryable or attempt == policy.attempts:
            break
        if rng is None:  # made on the first retry: seeding one costs 10 us per request
            rng = random.Random(policy.seed)
        wait = policy.backoff(attempt, rng)
        if last.retry_after is not None:
            wait = max(wait, last.retry_after)
        await asyncio.sleep(wait)
    assert last is not None
    tries = f"after {attempt} attempt{'s' if attempt > 1 else ''}"
    return Response(
        error=redact(f"{last.message} ({tries})", secrets),
        latency_s=time.perf_counter() - start,
    )


async def answer_each(
    batch: Sequence[Sequence[Message]],
    call: Callable[[Sequence[Message]], Awaitable[Response]],
    *,
    policy: RetryPolicy,
    limiter: AdaptiveLimiter,
    secrets: Sequence[str] = (),
) -> list[Response]:
    """Return one Response per conversation of `batch`, each call wrapped in the retries."""
    out = []
    for messages in batch:
        out.append(
            await call_with_retries(
                lambda m=messages: call(m),  # type: ignore[misc]
                policy=policy,
                limiter=limiter,
                secrets=secrets,
            )
        )
    return out


def parse_retry_after(value: str | None) -> float | None:
    """Return the seconds a Retry-After header asks to wait, or None when it says nothing usable.

    Both forms of RFC 9110 are read: a number of seconds ("2", "0.5") and an HTTP date
    ("Wed, 21 Oct 2015 07:28:00 GMT", counted from now; a date in the past is 0).
    """
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_tz(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, email.utils.mktime_tz(when) - time.time())


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the wait in seconds an error response asks for, or None.

    `retry-after-ms` (milliseconds, sent by OpenAI and Azure) wins over `retry-after` (seconds
    or an HTTP date), as in the openai SDK's own reading. `headers` is looked up in lower case;
    both httpx's and aiohttp's header mappings ignore case.
    """
    ms = headers.get("retry-after-ms")
    if ms:
        try:
            return max(0.0, float(ms) / 1000)
        except ValueError:
            pass
    return parse_retry_after(headers.get("retry-after"))
