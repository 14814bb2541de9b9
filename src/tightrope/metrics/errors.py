"""Which records failed, counted one way (invariant 1: errors are counted, never outcomes).

A record is failed when its generation failed (no response, or a response that is not ok) or,
with a usable response, when any of the run's judges that applies to it (the choice judge to
multiple-choice items, the others to the rest) returned `error` or gave no verdict. A
record is counted once, under its generation when that failed. `--max-error-rate`, the `err`
and `failed` columns of the reports and the store's `Store.failed_attempts` all mean this.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

from tightrope.records import Record, judge_applies

Failure = Literal["generation", "judge"]


def failure(record: Record, judge_names: Sequence[str]) -> Failure | None:
    """Return why a record failed ('generation' or 'judge'), or None when it did not."""
    if record.response is None or not record.response.ok:
        return "generation"
    names = [n for n in judge_names if judge_applies(n, record.behavior.side)]
    if any(n not in record.verdicts or not record.verdicts[n].ok for n in names):
        return "judge"
    return None


@dataclass(frozen=True)
class ErrorCounts:
    """Records, and how many failed in generation or, with a usable response, in judging."""

    records: int
    generation_errors: int
    judge_errors: int

    @property
    def failed(self) -> int:
        """Records that failed in any way."""
        return self.generation_errors + self.judge_errors

    def as_dict(self) -> dict[str, int]:
        """Return the counts as the reports print them: records, each kind, failed."""
        return {
            "records": self.records,
            "generation_errors": self.generation_errors,
            "judge_errors": self.judge_errors,
            "failed": self.failed,
        }


def error_counts(records: Iterable[Record], judge_names: Sequence[str]) -> ErrorCounts:
    """Return how many of `records` failed, by kind, for the judges named."""
    total = generation = judge = 0
    for r in records:
        total += 1
        why = failure(r, judge_names)
        generation += why == "generation"
        judge += why == "judge"
    return ErrorCounts(records=total, generation_errors=generation, judge_errors=judge)


def count_errors(records: Iterable[Record], judge_names: Sequence[str]) -> int:
    """Return how many records failed: a failed generation, or a judge error / missing verdict."""
    return error_counts(records, judge_names).failed
