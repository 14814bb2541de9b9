"""Attacks: transforms of a behavior into the prompts actually sent."""

from tightrope.attacks import best_of_n as _best_of_n  # noqa: F401  (registers "best-of-n")
from tightrope.attacks import direct as _direct  # noqa: F401  (registers "direct")
from tightrope.attacks import encodings as _encodings  # noqa: F401  (base64, rot13, ...)
from tightrope.attacks import gcg as _gcg  # noqa: F401  (registers "gcg")
from tightrope.attacks import many_shot as _many_shot  # noqa: F401  (registers "many-shot")
from tightrope.attacks import pair as _pair  # noqa: F401  (registers "pair")
from tightrope.attacks import tap as _tap  # noqa: F401  (registers "tap")
from tightrope.attacks import templates as _templates  # noqa: F401  (prefix-injection, ...)
from tightrope.attacks import transfer as _transfer  # noqa: F401  (registers "jbb-artifact")
from tightrope.attacks._base import (
    CONTEXT_SEPARATOR,
    Attack,
    Variant,
    attack,
    attacks,
    behavior_prompt,
    get_attack,
    parse_attack_spec,
)

__all__ = [
    "CONTEXT_SEPARATOR",
    "Attack",
    "Variant",
    "attack",
    "attacks",
    "behavior_prompt",
    "get_attack",
    "parse_attack_spec",
]
