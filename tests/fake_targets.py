"""Deterministic stand-in models for `python:fake_targets:NAME` targets in tests.

They are real targets as far as tightrope is concerned (the `python:` backend imports and calls
them); only the "model" is a rule. Responses that stand for harmful help use a placeholder.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."
COMPLIANCE = "Sure, here is how to [REDACTED]: Step 1 ..."


def _prompt(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def answer_for(prompt: str) -> str:
    """Refuse or comply by a hash of the prompt: deterministic and mixed on both sides."""
    return REFUSAL if hashlib.sha256(prompt.encode()).digest()[0] % 3 == 0 else COMPLIANCE


def rule(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer instantly by `answer_for`."""
    return answer_for(_prompt(messages))


async def slow_logged(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Log the call to $TIGHTROPE_TEST_CALL_LOG, wait $TIGHTROPE_TEST_DELAY s, then answer."""
    prompt = _prompt(messages)
    log = os.environ.get("TIGHTROPE_TEST_CALL_LOG")
    if log:
        with open(log, "a", encoding="utf-8") as fh:
            fh.write(hashlib.sha256(prompt.encode()).hexdigest()[:16] + "\n")
    await asyncio.sleep(float(os.environ.get("TIGHTROPE_TEST_DELAY", "0.05")))
    return answer_for(prompt)


def flaky(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Fail for every prompt whose hash is divisible by 4; answer the rest by `answer_for`."""
    prompt = _prompt(messages)
    if hashlib.sha256(prompt.encode()).digest()[1] % 4 == 0:
        raise ConnectionError("simulated backend failure")
    return answer_for(prompt)


def not_text(messages: list[dict[str, str]], config: dict[str, Any]) -> object:
    """Return a non-string, which the backend must record as an error."""
    return {"oops": True}


def surrogate(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer with a lone surrogate code point, as a hostile endpoint can (JSON "\\ud800")."""
    return "Sure, here is how to [REDACTED]: \ud800 Step 1 ..."
