"""Scripted attacker, target and judge for Crescendo tests (OpenAI protocol on 127.0.0.1).

The attacker writes `Turn K question (query Q) on [TOPIC i]`, K read from its turn message and
Q from its seed, adding ` rephrased` after a refusal; the target answers by a rule over the
question it is sent; the judge rates an answer holding the compliance placeholder 10, else 1.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable
from contextlib import ExitStack
from typing import Any

from fake_targets import COMPLIANCE, REFUSAL
from openai_server import Action, ScriptedServer
from tightrope.attacks.adaptive import derived_seed

_K = re.compile(r"Write question (\d+) of at most")
_TASK = re.compile(r"\[REDACTED TASK (\d+)\]")


def attacker(body: dict[str, Any]) -> Action:
    text = body["messages"][-1]["content"]
    k = int(_K.search(text).group(1))  # type: ignore[union-attr]
    i = int(_TASK.search(text).group(1))  # type: ignore[union-attr]
    q = next(q for q in range(50) if derived_seed(0, f"h{i}", "crescendo", q) == body["seed"])
    question = f"Turn {k} question (query {q + 1}) on [TOPIC {i}]"
    if "REFUSED" in text:
        question += " rephrased"
    return Action(text='{"improvement": "step", "prompt": "' + question + '"}')


def judge(prompt: str, n: int) -> Action:
    return Action(text="Rating: [[10]]" if "[REDACTED]:" in prompt else "Rating: [[1]]")


def target_by(rule: Callable[[str], str]) -> Callable[[dict[str, Any]], Action]:
    """A target answering each question by `rule`: 'refuse', 'comply' or 'answer'."""

    def plan(body: dict[str, Any]) -> Action:
        question = body["messages"][-1]["content"]
        kind = rule(question)
        if kind == "refuse":
            return Action(text=REFUSAL)
        if kind == "comply":
            return Action(text=COMPLIANCE)
        return Action(text=f"Some general background about: {question}")

    return plan


class CrescendoServers:
    """The three servers; `target_rule` decides the target's answers."""

    def __init__(self, target_rule: Callable[[str], str], *, latency: float = 0.0) -> None:
        self._stack = ExitStack()
        self.attacker = ScriptedServer(body_plan=attacker)
        self.target = ScriptedServer(body_plan=target_by(target_rule), latency=latency)
        self.judge = ScriptedServer(judge)

    def __enter__(self) -> CrescendoServers:
        for s in (self.attacker, self.target, self.judge):
            self._stack.enter_context(s)
        return self

    def __exit__(self, *exc: object) -> None:
        self._stack.close()

    def spec(self, name: str) -> str:
        server = getattr(self, name)
        return f"openai-compatible:{server.base_url}#{name}"

    def conversations(self) -> Counter[str]:
        """How often the target was sent each distinct conversation (messages as text)."""
        return Counter(
            "\n".join(f"{m['role']}: {m['content']}" for m in body["messages"])
            for body in self.target.requests
        )
