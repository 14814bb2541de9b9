"""Judges: refusal string matchers, tightrope's rule-based refusal judge, and the judge registry.

Importing this package registers the built-in judges (``gcg-strings``, ``jbb-strings``,
``xstest-strings``, ``refusal``); look them up with ``get_judge(name)``.
"""

from __future__ import annotations

from tightrope.judges import refusal as refusal
from tightrope.judges import strings as strings
from tightrope.judges._base import Judge, JudgeItem, TextJudge, get_judge, judge, judges

__all__ = ["Judge", "JudgeItem", "TextJudge", "get_judge", "judge", "judges", "refusal", "strings"]
