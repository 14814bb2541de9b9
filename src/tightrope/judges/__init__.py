"""Judges: refusal string matchers, rule-based and learned refusal judges, the learned harm
judge, LLM-judge protocols, judge panels, and the judge registry.

Importing this package registers the built-in judges (``gcg-strings``, ``jbb-strings``,
``xstest-strings``, ``refusal``, ``refusal-clf``, ``harm-clf``, ``hierarchy``
(instruction-hierarchy suites), ``choice`` (the parse of multiple-choice answers), and the LLM
judges ``harmbench-cls`` and ``llamaguard3`` (the fine-tuned judge models, in their own input
format), ``harmbench-chat``, ``llamaguard-chat``, ``jbb-jailbreak``, ``jbb-refusal``,
``strongreject``, ``xstest-3class``, ``pair-rating``); look them up with ``get_judge(name,
**settings)``. Heavy libraries load only when a judge that needs them is used.
"""

from __future__ import annotations

from tightrope.judges import choice as choice
from tightrope.judges import clf as clf
from tightrope.judges import harm_clf as harm_clf
from tightrope.judges import hierarchy as hierarchy
from tightrope.judges import prompts as prompts
from tightrope.judges import refusal as refusal
from tightrope.judges import strings as strings
from tightrope.judges._base import (
    Judge,
    JudgeItem,
    TextJudge,
    error_verdicts,
    get_judge,
    judge,
    judges,
    needs_model,
)
from tightrope.judges.panel import Panel

__all__ = [
    "Judge",
    "JudgeItem",
    "Panel",
    "TextJudge",
    "choice",
    "clf",
    "error_verdicts",
    "get_judge",
    "harm_clf",
    "hierarchy",
    "judge",
    "judges",
    "needs_model",
    "prompts",
    "refusal",
    "strings",
]
