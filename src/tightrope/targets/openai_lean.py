"""The lean transport of the OpenAI targets: chat completions over tightrope's own HTTP client.

It sends what the SDK transport sends for tightrope's calls: the same JSON fields (model,
messages from `roles.openai_messages`, max_tokens, seed, temperature, top_p, then `extra_body`
merged over them), the same `Authorization: Bearer` key (OpenAI-Organization and
OpenAI-Project from OPENAI_ORG_ID and OPENAI_PROJECT_ID, as the SDK does), and it reads the
answer the same way: the first choice's content or refusal, its finish reason, usage,
content-filter finishes and Azure's 400 `content_filter` rejections, error statuses with
their body's message and Retry-After. tests/targets/test_transport_fidelity.py runs the
scripted-server fault suite through both transports and compares the records.

What it leaves out is what tightrope never uses: streaming, typed response models, the SDK's
own retries (tightrope's are in targets/retry.py either way).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

from tightrope._version import __version__
from tightrope.records import GenerationConfig, Message, Response
from tightrope.targets.lean_http import JSON_LIBRARY, LeanClient, StatusError, aiohttp_needed
from tightrope.targets.openai_compat import (
    OpenAITarget,
    completion_response,
    content_filter_error,
)
from tightrope.targets.remote import check_installed, status_failure
from tightrope.targets.retry import CallFailed, Failure
from tightrope.targets.roles import openai_messages

OPENAI_BASE_URL = "https://api.openai.com/v1"


def lean_headers(key: str) -> dict[str, str]:
    """Return the headers of every request: the key, JSON both ways, OpenAI's organization
    and project from the environment where set (the SDK reads the same variables)."""
    headers = {
        "Authorization": f"Bearer {key}",
        "Accept": "application/json",
        "Content-Type": "application/json",
        "User-Agent": f"tightrope/{__version__} (lean transport; {JSON_LIBRARY})",
    }
    for name, env in (
        ("OpenAI-Organization", "OPENAI_ORG_ID"),
        ("OpenAI-Project", "OPENAI_PROJECT_ID"),
    ):
        value = os.environ.get(env)
        if value:
            headers[name] = value
    return headers


class LeanOpenAITarget(OpenAITarget):
    """An OpenAI-compatible endpoint through tightrope's lean HTTP client (see the module)."""

    transport = "lean"

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        url = self._base_url or OPENAI_BASE_URL
        why = aiohttp_needed(url)
        if why is not None:
            check_installed(
                "aiohttp",
                f"the lean transport reaches {self.spec} through {why}, which needs aiohttp "
                "(or give --transport sdk)",
                "fast",
            )

    def _require(self) -> None:
        """Nothing to check here: direct connections need no HTTP library (targets/http1.py);
        one through a proxy needs aiohttp, checked in __init__ once the URL is known."""

    def _make_client(self) -> LeanClient:
        base = (self._base_url or OPENAI_BASE_URL).rstrip("/")
        return LeanClient(
            f"{base}/chat/completions",
            headers=lean_headers(self._key),
            timeout=self._timeout,
            pool=self.max_concurrency,
        )

    async def _call(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        body: dict[str, Any] = {
            "model": self.model,
            "messages": openai_messages(messages, config),
            "max_tokens": config.max_tokens,
            "seed": config.seed,
            "temperature": config.temperature,
            "top_p": config.top_p,
        }
        if self._extra_body:
            body.update(self._extra_body)
        try:
            data = await self._client.post(body)
        except StatusError as exc:
            reason = content_filter_error(exc)
            if reason is not None:
                return Response(text="", finish_reason="content_filter", filtered=reason)
            raise CallFailed(status_failure(exc.status_code, exc.message, exc.headers)) from exc
        return read_completion(data)


def read_completion(data: Any) -> Response:
    """Return the Response of a decoded chat.completion body, as the SDK transport reads it."""
    if not isinstance(data, dict):
        raise CallFailed(
            Failure(f"malformed response: a JSON {type(data).__name__}, not an object", True)
        )
    choices = data.get("choices")
    if not choices:
        raise CallFailed(Failure("the response had no choices", retryable=True))
    choice = choices[0]
    message = choice.get("message") if isinstance(choice, dict) else None
    if not isinstance(message, dict):
        raise CallFailed(Failure("malformed response: a choice without a message", True))
    usage = data.get("usage")
    usage = usage if isinstance(usage, dict) else {}
    return completion_response(
        message.get("content"),
        message.get("refusal"),
        choice.get("finish_reason"),
        usage.get("prompt_tokens"),
        usage.get("completion_tokens"),
    )
