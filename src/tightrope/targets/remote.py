"""What the SDK-backed targets share: one request per conversation, retried, rate-limited."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tightrope.records import GenerationConfig, Message, Response
from tightrope.targets.limits import AdaptiveLimiter
from tightrope.targets.retry import RetryPolicy, answer_each


class RemoteChatTarget:
    """Base of the openai and anthropic targets; a subclass sets `_client` and `_call`."""

    max_batch_size = 1
    spec: str
    version: str
    _client: Any

    def __init__(
        self,
        *,
        concurrency: int,
        timeout: float,
        retries: int,
        base_delay: float,
        max_delay: float,
        secrets: Sequence[str],
    ) -> None:
        self.max_concurrency = concurrency
        self.limiter = AdaptiveLimiter(concurrency)
        self.policy = RetryPolicy(
            attempts=retries, timeout=timeout, base_delay=base_delay, max_delay=max_delay
        )
        self._secrets = [s for s in secrets if s]

    async def _call(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        """Make one request; raise targets.retry.CallFailed with a classified failure."""
        raise TypeError(f"{type(self).__name__} must define _call")

    async def aclose(self) -> None:
        """Close the SDK's HTTP client (the runner calls this at the end of a run)."""
        await self._client.close()

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation; failures after retries are error records."""
        return await answer_each(
            batch,
            lambda messages: self._call(messages, config),
            policy=self.policy,
            limiter=self.limiter,
            secrets=self._secrets,
        )
