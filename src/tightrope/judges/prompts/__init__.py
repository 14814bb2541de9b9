"""LLM-judge protocols, one module per paper; importing this package registers them all."""

from __future__ import annotations

from tightrope.judges.prompts import harmbench as harmbench
from tightrope.judges.prompts import harmbench_cls as harmbench_cls
from tightrope.judges.prompts import jbb as jbb
from tightrope.judges.prompts import llamaguard as llamaguard
from tightrope.judges.prompts import pair as pair
from tightrope.judges.prompts import strongreject as strongreject
from tightrope.judges.prompts import xstest as xstest

__all__ = ["harmbench", "harmbench_cls", "jbb", "llamaguard", "pair", "strongreject", "xstest"]
