"""`direct`: the plain request, the baseline every run includes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tightrope.attacks._base import Attack, Variant, attack, behavior_prompt
from tightrope.records import Behavior, Message


@dataclass(frozen=True)
class Direct:
    """Sends the behavior unchanged as a single user message."""

    name: str = "direct"
    params: dict[str, Any] = field(default_factory=dict)

    def variants(self, behavior: Behavior) -> list[Variant]:
        """Return one variant: the request itself."""
        return [Variant(messages=(Message(role="user", content=behavior_prompt(behavior)),))]


@attack("direct")
def direct() -> Attack:
    """The plain request (baseline)."""
    return Direct()
