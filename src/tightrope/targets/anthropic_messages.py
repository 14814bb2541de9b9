"""`anthropic:MODEL` through the official `anthropic` SDK (the Messages API).

Sampling: the current SDK takes no temperature; a non-zero temperature or top_p < 1 is sent in
the request body, and greedy (the default) sends neither, so the model uses its own default.
The key comes from ANTHROPIC_API_KEY (or the variable named by `api_key_env`);
ANTHROPIC_BASE_URL points the client elsewhere (a proxy, or a local test server). Retries and
the adaptive concurrency limit are tightrope's (targets/retry.py); the SDK's own are off.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response, Usage
from tightrope.targets._base import Target, pick_settings, target
from tightrope.targets.remote import (
    REMOTE_SETTINGS,
    RemoteChatTarget,
    check_base_url,
    check_installed,
    classify_sdk_error,
    deployment_version,
)
from tightrope.targets.retry import (
    CallFailed,
    Failure,
)
from tightrope.targets.roles import anthropic_messages

SETTINGS = REMOTE_SETTINGS


def _import_anthropic() -> Any:
    try:
        import anthropic
    except ImportError:
        raise InputError(
            "the anthropic target needs the anthropic SDK: pip install 'tightrope[anthropic]'"
        ) from None
    return anthropic


def classify_anthropic_error(exc: BaseException) -> Failure:
    """Return how to treat an exception from the anthropic SDK: retry it, or record it."""
    return classify_sdk_error(exc, _import_anthropic())


class AnthropicTarget(RemoteChatTarget):
    """A Claude model through the Messages API, one request per conversation."""

    def __init__(
        self,
        model: str,
        *,
        api_key_env: str = "ANTHROPIC_API_KEY",
        concurrency: int = 8,
        timeout: float = 120.0,
        retries: int = 6,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        version: str | None = None,
    ) -> None:
        check_installed("anthropic", "the anthropic target needs the anthropic SDK", "anthropic")
        key = os.environ.get(api_key_env)
        base_url = os.environ.get("ANTHROPIC_BASE_URL") or None
        if base_url is not None:
            check_base_url(base_url, f"target anthropic:{model} (ANTHROPIC_BASE_URL)")
        if key is None:
            raise InputError(f"target anthropic:{model}: set {api_key_env} in the environment")
        super().__init__(
            concurrency=concurrency,
            timeout=timeout,
            retries=retries,
            base_delay=base_delay,
            max_delay=max_delay,
            secrets=[key],
        )
        self.spec = f"anthropic:{model}"
        self.model = model
        self.version = deployment_version(f"anthropic-sdk;model={model}", version)
        self._client_args = {
            "api_key": key,
            "base_url": base_url,
            "max_retries": 0,
            "timeout": timeout,
        }

    def _make_client(self) -> Any:
        return _import_anthropic().AsyncAnthropic(**self._client_args)

    async def _call(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        system, turns = anthropic_messages(messages, config)
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": turns,
            "max_tokens": config.max_tokens,
        }
        if system is not None:
            kwargs["system"] = system
        # The current SDK has no sampling parameters on messages.create; models that still
        # accept them get them through extra_body, and only when they differ from greedy.
        sampling = {}
        if config.temperature > 0:
            sampling["temperature"] = config.temperature
        if config.top_p < 1.0:
            sampling["top_p"] = config.top_p
        if sampling:
            kwargs["extra_body"] = sampling
        try:
            message = await self._client.messages.create(**kwargs)
        except Exception as exc:
            raise CallFailed(classify_anthropic_error(exc)) from exc
        texts = [b.text for b in message.content if getattr(b, "type", None) == "text"]
        # The SDK's stop reason `refusal`: Anthropic's safety classifiers stopped the reply.
        filtered = "refusal" if message.stop_reason == "refusal" else None
        if not texts and filtered is None:
            raise CallFailed(Failure("the response had no text content", retryable=True))
        return Response(
            text="".join(texts),
            finish_reason=message.stop_reason,
            filtered=filtered,
            usage=Usage(
                prompt_tokens=message.usage.input_tokens,
                completion_tokens=message.usage.output_tokens,
            ),
        )


@target("anthropic")
def anthropic_target(model: str, **settings: Any) -> Target:
    """Anthropic's Messages API: anthropic:MODEL (key from ANTHROPIC_API_KEY)."""
    return AnthropicTarget(model, **pick_settings(settings, SETTINGS))
