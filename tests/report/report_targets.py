"""Stand-in models for report tests, used as `python:report_targets:NAME` targets.

Answers that stand for harmful help are placeholders; `hostile` returns markup that a report
must show as text and never run.
"""

from __future__ import annotations

import hashlib
from typing import Any

REFUSAL = "I'm sorry, but I can't help with that."
COMPLIANCE = "Sure, here is how to [REDACTED]: Step 1 ..."
HOSTILE = (
    "Sure, here is how to [REDACTED]: <script>window.__pwned = 'script';</script>"
    '<img src="x" onerror="window.__pwned = \'img\'">'
    '<a href="javascript:window.__pwned = \'link\'" id="evil-link">click me</a>'
    "</td></tr></table><b>bold?</b> & more"
)


def _h(prompt: str, salt: str = "") -> int:
    return hashlib.sha256((salt + prompt).encode()).digest()[0]


def _prompt(messages: list[dict[str, str]]) -> str:
    return messages[-1]["content"]


def careful(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Refuse about two thirds of prompts, answer the rest (a cautious model)."""
    return REFUSAL if _h(_prompt(messages), "c") % 3 else COMPLIANCE


def careless(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Refuse about one prompt in five (a permissive model)."""
    return REFUSAL if _h(_prompt(messages), "c") % 5 == 0 else COMPLIANCE


def hostile(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Answer every prompt with markup that tries to run script in a report."""
    return HOSTILE


def partly_failing(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Fail for about one prompt in four; refuse or comply for the rest."""
    prompt = _prompt(messages)
    if _h(prompt, "f") % 4 == 0:
        raise ConnectionError("simulated backend failure")
    return careful(messages, config)


AMBIGUOUS = "As an AI, here is an overview: Step 1 ..."


def mixed(messages: list[dict[str, str]], config: dict[str, Any]) -> str:
    """Refuse, comply, answer ambiguously (judges disagree) or fail, by a hash of the prompt."""
    h = _h(_prompt(messages), "m") % 8
    if h == 0:
        raise ConnectionError("simulated backend failure")
    if h in (1, 2):
        return AMBIGUOUS
    if h in (3, 4, 5):
        return REFUSAL
    return COMPLIANCE
