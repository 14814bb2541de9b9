"""`openai-completions:BASE_URL#MODEL`: a raw text-completions endpoint (`/v1/completions`).

Some judge models were fine-tuned on one exact prompt string, chat markup included: the HarmBench
classifier (cais/HarmBench-Llama-2-13b-cls) reads a prompt that already holds Llama-2's
``[INST] <<SYS>> ... [/INST]``. Sent to a chat endpoint, the server would wrap it in its chat
template a second time. This backend sends the text itself as the `prompt` of OpenAI's legacy
completions protocol, which vLLM, llama.cpp's server and TGI serve: the server only tokenises it
(vLLM adds the BOS token, as HarmBench's own `LLM.generate` does).

A conversation must therefore be exactly one user message, with no run system prompt; anything
else is an error record (never guessed into one string). Retries, limits and settings are the
openai targets' (same SDK, same `extra_body`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from tightrope.records import GenerationConfig, Message, Response, Usage
from tightrope.targets._base import Target, pick_settings, target
from tightrope.targets.openai_compat import SETTINGS, OpenAITarget, classify_openai_error
from tightrope.targets.remote import deployment_version, endpoint_and_model
from tightrope.targets.retry import CallFailed, Failure


def raw_prompt(messages: Sequence[Message], config: GenerationConfig) -> str:
    """Return the text of a one-user-message conversation; CallFailed (not retried) otherwise."""
    if len(messages) != 1 or messages[0].role != "user" or config.system_prompt is not None:
        roles = ", ".join(m.role for m in messages) or "none"
        extra = " and a system prompt" if config.system_prompt is not None else ""
        raise CallFailed(
            Failure(
                "openai-completions sends one raw prompt: the conversation must be a single "
                f"user message (got {roles}{extra}); use openai-compatible: for chat",
                retryable=False,
            )
        )
    return messages[0].content


class OpenAICompletionsTarget(OpenAITarget):
    """A model behind an OpenAI-compatible `/v1/completions` endpoint, one prompt per call."""

    def __init__(self, **kwargs: Any) -> None:
        version = kwargs.pop("version", None)
        super().__init__(**kwargs)
        self.version = deployment_version(f"openai-sdk-completions;model={self.model}", version)

    async def _call(self, messages: Sequence[Message], config: GenerationConfig) -> Response:
        prompt = raw_prompt(messages, config)
        try:
            completion = await self._client.completions.create(
                model=self.model,
                prompt=prompt,
                temperature=config.temperature,
                top_p=config.top_p,
                max_tokens=config.max_tokens,
                seed=config.seed,
                extra_body=self._extra_body or None,
            )
        except Exception as exc:
            raise CallFailed(classify_openai_error(exc)) from exc
        if not completion.choices:
            raise CallFailed(Failure("the response had no choices", retryable=True))
        choice = completion.choices[0]
        if choice.text is None:
            raise CallFailed(Failure("the response had no text", retryable=True))
        usage = completion.usage
        return Response(
            text=choice.text,
            finish_reason=choice.finish_reason,
            filtered="content_filter" if choice.finish_reason == "content_filter" else None,
            usage=Usage(
                prompt_tokens=usage.prompt_tokens if usage else 0,
                completion_tokens=usage.completion_tokens if usage else 0,
            ),
        )


@target("openai-completions")
def openai_completions_target(arg: str, **settings: Any) -> Target:
    """A raw text-completions server: openai-completions:BASE_URL#MODEL (one prompt, no chat
    template; for judge models trained on an exact prompt string, e.g. the HarmBench classifier)."""
    base_url, model = endpoint_and_model("openai-completions", arg)
    return OpenAICompletionsTarget(
        spec=f"openai-completions:{arg}",
        model=model,
        base_url=base_url,
        **pick_settings(settings, SETTINGS),
    )
