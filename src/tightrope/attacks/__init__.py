"""Attacks: how a behavior becomes the prompts actually sent.

`static/` holds transforms planned before any model call (templates, encodings, best-of-N,
many-shot, transfer, human jailbreaks); `adaptive/` holds attacks that talk to models (PAIR,
TAP, GCG, the multi-turn Crescendo, and the attacker rewrites PAP, past-tense, translate).
Both register in one registry, `attacks`, under `@attack("name")`.
"""

from tightrope.attacks._base import (
    CONTEXT_SEPARATOR,
    Attack,
    Variant,
    attack,
    attacks,
    behavior_prompt,
    frame,
    get_attack,
    parse_attack_spec,
)
from tightrope.attacks.adaptive import crescendo as _crescendo  # noqa: F401  (registers "crescendo")
from tightrope.attacks.adaptive import gcg as _gcg  # noqa: F401  (registers "gcg")
from tightrope.attacks.adaptive import pair as _pair  # noqa: F401  (registers "pair")
from tightrope.attacks.adaptive import pap as _pap  # noqa: F401  (registers "pap")
from tightrope.attacks.adaptive import past_tense as _past_tense  # noqa: F401  (registers "past-tense")
from tightrope.attacks.adaptive import tap as _tap  # noqa: F401  (registers "tap")
from tightrope.attacks.adaptive import translate as _translate  # noqa: F401  (registers "translate")
from tightrope.attacks.static import best_of_n as _best_of_n  # noqa: F401  (registers "best-of-n")
from tightrope.attacks.static import direct as _direct  # noqa: F401  (registers "direct")
from tightrope.attacks.static import encodings as _encodings  # noqa: F401  (base64, rot13, ...)
from tightrope.attacks.static import human as _human  # noqa: F401  (registers "human-jailbreaks")
from tightrope.attacks.static import many_shot as _many_shot  # noqa: F401  (registers "many-shot")
from tightrope.attacks.static import templates as _templates  # noqa: F401  (prefix-injection, ...)
from tightrope.attacks.static import transfer as _transfer  # noqa: F401  (registers "jbb-artifact")

__all__ = [
    "CONTEXT_SEPARATOR",
    "Attack",
    "Variant",
    "attack",
    "attacks",
    "behavior_prompt",
    "frame",
    "get_attack",
    "parse_attack_spec",
]
