"""Adaptive attacks: searches that decide each prompt from earlier answers (PAIR, TAP, GCG).

They run in the run's adaptive stage (`tightrope.run.adaptive`), which hands each one a
`LoopContext`; the extension point itself lives in `_base.py` and is re-exported here.
"""

from tightrope.attacks.adaptive._base import (
    ADAPTIVE_MARK,
    LOOP_VERDICT,
    AdaptiveAttack,
    LoopContext,
    Query,
    derived_seed,
    is_adaptive,
    parse_options,
)

__all__ = [
    "ADAPTIVE_MARK",
    "LOOP_VERDICT",
    "AdaptiveAttack",
    "LoopContext",
    "Query",
    "derived_seed",
    "is_adaptive",
    "parse_options",
]
