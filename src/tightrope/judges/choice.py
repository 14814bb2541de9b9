"""`choice`: the judge of multiple-choice items, a strict parse of the reply (no model).

It reads `choice`-side behaviors only (records.judge_applies) and gives each reply a verdict of
kind `choice`: `correct` or `incorrect` with the option it named in `Verdict.choice`, or `error`
when the reply names no option or several (multiple_choice.parse_choice), with the reason and
the reply's first line. An unparseable reply is thus an error, never a wrong answer.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from tightrope.judges._base import Judge, JudgeItem, judge
from tightrope.multiple_choice import PROMPT_VERSION, ChoiceParseError, parse_choice
from tightrope.records import CHOICE_JUDGE, JudgeKind, Verdict

VERSION = f"choice-parse-v1+{PROMPT_VERSION}"


@dataclass(frozen=True)
class ChoiceJudge:
    """Parses the option a reply names and compares it with the item's answer."""

    name: str = CHOICE_JUDGE
    version: str = VERSION
    kind: JudgeKind = "choice"

    def read(self, item: JudgeItem) -> Verdict:
        """Return the verdict of one reply (an error verdict, never an exception)."""
        b = item.behavior
        base = {"judge": self.name, "judge_version": self.version, "kind": self.kind}
        if b.choices is None or b.answer is None:
            return Verdict(**base, label="error", reason=f"{b.id} is not a multiple-choice item")
        try:
            index = parse_choice(item.response, b.choices)
        except ChoiceParseError as exc:
            return Verdict(**base, label="error", reason=str(exc), raw=item.response[:2000])
        label = "correct" if index == b.answer else "incorrect"
        return Verdict(**base, label=label, choice=index)

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Return one verdict per item, in order."""
        return [self.read(item) for item in items]


@judge(CHOICE_JUDGE)
def choice() -> Judge:
    """Multiple-choice answers: the option the reply names, parsed strictly (no model)."""
    return ChoiceJudge()
