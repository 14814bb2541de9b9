"""Attacks: transforms of a behavior into the prompts actually sent."""

from tightrope.attacks import direct as _direct  # noqa: F401  (registers "direct")
from tightrope.attacks._base import (
    CONTEXT_SEPARATOR,
    Attack,
    Variant,
    attack,
    attacks,
    behavior_prompt,
    get_attack,
)

__all__ = [
    "CONTEXT_SEPARATOR",
    "Attack",
    "Variant",
    "attack",
    "attacks",
    "behavior_prompt",
    "get_attack",
]
