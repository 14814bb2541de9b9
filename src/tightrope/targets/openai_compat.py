"""`openai:MODEL` and `openai-compatible:BASE_URL#MODEL`: OpenAI's chat-completions protocol.

The second form covers every server that speaks the protocol: vLLM, Ollama, llama.cpp's server,
TGI, LM Studio, Together and the like. Two transports send the same requests and read the
answers alike (tests/targets/test_transport_fidelity.py compares their records):

- `sdk`: the official `openai` SDK, the default of `openai:` (OpenAI's own API);
- `lean`: tightrope's own HTTP client (targets/openai_lean.py; targets/http1.py for direct
  connections, aiohttp through a proxy), about twice the requests per second of client CPU; the
  default of `openai-compatible:` (the SDK where a proxy is in the way and aiohttp is missing).

The `transport` setting (`--transport sdk|lean`) picks either for any endpoint. The SDK's own
retries are off; tightrope retries with backoff and an adaptive concurrency limit
(targets/retry.py, targets/limits.py), so every exhausted retry becomes an error record.

API keys come from the environment only (`OPENAI_API_KEY`, or the variable named by the
`api_key_env` setting) and are redacted from every error message.
"""

from __future__ import annotations

import importlib.util
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
    endpoint_and_model,
    short,
)
from tightrope.targets.retry import (
    CallFailed,
    Failure,
)
from tightrope.targets.roles import openai_messages

# `extra_body` (extra JSON fields per request) and the transport are the OpenAI targets' own.
SETTINGS = REMOTE_SETTINGS | {"extra_body", "transport"}
TRANSPORTS = ("sdk", "lean")


def _import_openai() -> Any:
    try:
        import openai
    except ImportError:
        raise InputError(
            "the openai targets need the openai SDK: pip install 'tightrope[openai]'"
        ) from None
    return openai


def classify_openai_error(exc: BaseException) -> Failure:
    """Return how to treat an exception from the openai SDK: retry it, or record it."""
    return classify_sdk_error(exc, _import_openai())


def content_filter_error(exc: BaseException) -> str | None:
    """Return the provider's reason when `exc` is a content-filter rejection, else None.

    Azure OpenAI (and servers copying it) reject a prompt its filter flags with HTTP 400 and
    error code `content_filter` (inner code `ResponsibleAIPolicyViolation`): an outcome of the
    safety evaluation, not a failure to retry or record as an error.
    """
    if getattr(exc, "status_code", None) != 400:
        return None
    body = getattr(exc, "body", None)
    error = body.get("error", body) if isinstance(body, dict) else {}
    error = error if isinstance(error, dict) else {}
    inner = error.get("innererror")
    codes = {
        getattr(exc, "code", None),
        error.get("code"),
        inner.get("code") if isinstance(inner, dict) else None,
    }
    if not codes & {"content_filter", "ResponsibleAIPolicyViolation"}:
        return None
    message = str(error.get("message") or getattr(exc, "message", "") or "")
    return f"content_filter: {short(message, 200)}" if message else "content_filter"


def completion_response(
    text: Any, refusal: Any, finish_reason: Any, prompt_tokens: Any, completion_tokens: Any
) -> Response:
    """Return the Response of a chat completion's first choice, read the same way for every
    transport: the refusal text where there is no content, `filtered` on a content_filter
    finish reason; a choice with neither text nor a filter is a retryable failure."""
    if text is None:
        text = refusal
    filtered = "content_filter" if finish_reason == "content_filter" else None
    if text is None and filtered is None:
        raise CallFailed(Failure("the response had no text content", retryable=True))
    return Response(
        text=text or "",
        finish_reason=finish_reason,
        filtered=filtered,
        usage=Usage(prompt_tokens=prompt_tokens or 0, completion_tokens=completion_tokens or 0),
    )


class OpenAITarget(RemoteChatTarget):
    """A chat model behind an OpenAI-compatible endpoint through the `openai` SDK, one request
    per conversation. `LeanOpenAITarget` (targets/openai_lean.py) is the same over tightrope's
    own HTTP client."""

    transport = "sdk"

    def __init__(
        self,
        *,
        spec: str,
        model: str,
        base_url: str | None,
        api_key_env: str = "OPENAI_API_KEY",
        concurrency: int = 16,
        timeout: float = 120.0,
        retries: int = 6,
        base_delay: float = 0.5,
        max_delay: float = 30.0,
        extra_body: dict[str, Any] | None = None,
        version: str | None = None,
        transport: str | None = None,
    ) -> None:
        # `transport` picks the class (make_openai_target); a subclass with one way to call its
        # endpoint (the completions target) takes the setting and keeps its own.
        self._require()
        key = os.environ.get(api_key_env)
        if key is None and base_url is None:
            raise InputError(f"target {spec}: set {api_key_env} in the environment")
        super().__init__(
            concurrency=concurrency,
            timeout=timeout,
            retries=retries,
            base_delay=base_delay,
            max_delay=max_delay,
            secrets=[key or ""],
        )
        self.spec = spec
        self.model = model
        # The same for both transports: they send the same request, so they share cache entries.
        self.version = deployment_version(f"openai-sdk;model={model}", version)
        self._extra_body = extra_body or {}
        self._key = key or "not-needed"
        self._base_url = base_url
        self._timeout = timeout

    def _require(self) -> None:
        """Raise InputError (exit 2) when this transport's HTTP library is not installed."""
        check_installed("openai", "the openai targets need the openai SDK", "openai")

    def _make_client(self) -> Any:
        return _import_openai().AsyncOpenAI(
            api_key=self._key, base_url=self._base_url, max_retries=0, timeout=self._timeout
        )

    async def _call(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        payload = openai_messages(messages, config)
        try:
            completion = await self._client.chat.completions.create(
                model=self.model,
                messages=payload,
                temperature=config.temperature,
                top_p=config.top_p,
                max_tokens=config.max_tokens,
                seed=config.seed,
                extra_body=self._extra_body or None,
            )
        except Exception as exc:
            reason = content_filter_error(exc)
            if reason is not None:
                return Response(text="", finish_reason="content_filter", filtered=reason)
            raise CallFailed(classify_openai_error(exc)) from exc
        if not completion.choices:
            raise CallFailed(Failure("the response had no choices", retryable=True))
        choice = completion.choices[0]
        usage = completion.usage
        return completion_response(
            choice.message.content,
            getattr(choice.message, "refusal", None),
            choice.finish_reason,
            usage.prompt_tokens if usage else 0,
            usage.completion_tokens if usage else 0,
        )


def make_openai_target(
    *, spec: str, model: str, base_url: str | None, default: str, settings: dict[str, Any]
) -> Target:
    """Return the target over the transport the settings name, else over `default`.

    The SDK transport needs the openai SDK; the lean one needs nothing for a direct connection,
    and aiohttp through a proxy (targets/openai_lean.py). A missing one is bad input (exit 2)
    naming the extra to install. `default` "lean" falls back to the SDK where the endpoint is
    behind a proxy and aiohttp is not installed.
    """
    chosen = pick_settings(settings, SETTINGS)
    transport = chosen.pop("transport", None)
    if transport is None:
        from tightrope.targets.lean_http import aiohttp_needed
        from tightrope.targets.openai_lean import OPENAI_BASE_URL

        proxied = aiohttp_needed(base_url or OPENAI_BASE_URL) is not None
        lean_ok = not proxied or importlib.util.find_spec("aiohttp") is not None
        transport = "lean" if default == "lean" and lean_ok else "sdk"
    if transport not in TRANSPORTS:
        raise InputError(f"target {spec}: transport {transport!r} is not one of sdk, lean")
    if transport == "lean":
        from tightrope.targets.openai_lean import LeanOpenAITarget

        return LeanOpenAITarget(spec=spec, model=model, base_url=base_url, **chosen)
    return OpenAITarget(spec=spec, model=model, base_url=base_url, **chosen)


@target("openai")
def openai_target(model: str, **settings: Any) -> Target:
    """OpenAI's API: openai:MODEL (key from OPENAI_API_KEY; OPENAI_BASE_URL is honoured);
    the SDK transport unless `transport` says lean."""
    base_url = os.environ.get("OPENAI_BASE_URL") or None
    if base_url is not None:
        check_base_url(base_url, f"target 'openai:{model}' (OPENAI_BASE_URL)")
    return make_openai_target(
        spec=f"openai:{model}", model=model, base_url=base_url, default="sdk", settings=settings
    )


@target("openai-compatible")
def openai_compatible_target(arg: str, **settings: Any) -> Target:
    """Any OpenAI-compatible server: openai-compatible:BASE_URL#MODEL (vLLM, Ollama, TGI...);
    the lean transport unless `transport` says sdk (make_openai_target)."""
    base_url, model = endpoint_and_model("openai-compatible", arg)
    return make_openai_target(
        spec=f"openai-compatible:{arg}",
        model=model,
        base_url=base_url,
        default="lean",
        settings=settings,
    )
