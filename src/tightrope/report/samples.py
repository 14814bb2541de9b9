"""One row per record for sample tables: what was asked, what came back, what the judges said.

The HTML report, the viewer and the exports share these rows, so the filters (side, category,
verdict, judge disagreement) mean the same thing everywhere. Texts here are raw model output:
every renderer must escape them (DESIGN.md invariant 5).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tightrope.datasets.taxonomy import CATEGORIES
from tightrope.metrics.rates import refused_outcome, unsafe_outcome
from tightrope.records import Record, Verdict
from tightrope.report.loader import LoadedRun


@dataclass(frozen=True)
class SampleRow:
    """A record flattened for display; `verdict` is the driving judge's label or 'error'."""

    run_id: str
    attempt_id: str
    behavior_id: str
    side: str
    category: str
    category_name: str
    target: str
    attack: str
    prompt: str
    response: str | None
    error: str | None
    verdicts: dict[str, str]
    verdict: str
    outcome: str
    disagree: bool
    turns: tuple[tuple[str, str], ...] = ()
    translation: str | None = None


def conversation_turns(record: Record) -> tuple[tuple[str, str], ...]:
    """Return (role, text) of every message sent when the attempt is a conversation (it holds
    an answer of the target before its last turn: crescendo), else nothing."""
    messages = record.attempt.messages
    if not any(m.role == "assistant" for m in messages[:-1]):
        return ()
    return tuple((m.role, m.content) for m in messages)


def prompt_text(record: Record) -> str:
    """Return the last user message actually sent (after the attack)."""
    users = [m.content for m in record.attempt.messages if m.role == "user"]
    return users[-1] if users else ""


def _binary(v: Verdict) -> bool | None:
    if not v.ok:
        return None
    if v.kind == "harm":
        return v.label == "unsafe"
    return v.label in ("refusal", "partial")


def judges_disagree(verdicts: Mapping[str, Verdict]) -> bool:
    """Return True when two usable verdicts of the same kind reach different outcomes.

    Refusal judges disagree when one counts a refusal (full or partial) and another does not;
    harm judges when one says unsafe and another safe. Error verdicts never disagree.
    """
    seen: dict[str, set[bool]] = {}
    for v in verdicts.values():
        b = _binary(v)
        if b is not None:
            seen.setdefault(v.kind, set()).add(b)
    return any(len(s) > 1 for s in seen.values())


def outcome_label(record: Record, *, refusal_judge: str, harm_judge: str | None) -> str:
    """Return the record's outcome in words: unsafe / safe (harmful side), refused / answered
    (benign side), or error, exactly as the metrics count it.
    """
    if record.behavior.side == "harmful":
        o = unsafe_outcome(record, refusal_judge=refusal_judge, harm_judge=harm_judge)
        return {"yes": "unsafe", "no": "safe", "error": "error"}[o]
    o = refused_outcome(record, refusal_judge=refusal_judge)
    return {"yes": "refused", "no": "answered", "error": "error"}[o]


def sample_row(
    record: Record,
    *,
    refusal_judge: str,
    harm_judge: str | None,
    judge_order: Sequence[str] = (),
) -> SampleRow:
    """Return the display row of one record; verdicts follow `judge_order` (configured order)."""
    response = record.response
    error: str | None
    if response is None:
        error = "not generated"
    elif not response.ok:
        error = response.error or "no text"
    else:
        error = None
    driving = record.verdicts.get(refusal_judge)
    verdict = "error" if error is not None or driving is None else driving.label
    return SampleRow(
        run_id=record.run_id,
        attempt_id=record.attempt.id,
        behavior_id=record.behavior.id,
        side=record.behavior.side,
        category=record.behavior.category,
        category_name=CATEGORIES.get(record.behavior.category, record.behavior.category),
        target=record.attempt.target,
        attack=record.attempt.attack,
        prompt=prompt_text(record),
        response=response.text if response is not None else None,
        error=error,
        verdicts={
            name: record.verdicts[name].label
            for name in sorted(record.verdicts, key=lambda n: _position(judge_order, n))
        },
        verdict=verdict,
        outcome=outcome_label(record, refusal_judge=refusal_judge, harm_judge=harm_judge),
        disagree=judges_disagree(record.verdicts),
        turns=conversation_turns(record),
        translation=response.translation if response is not None else None,
    )


def _position(order: Sequence[str], name: str) -> tuple[int, str]:
    return (order.index(name) if name in order else len(order), name)


def sample_rows(run: LoadedRun) -> list[SampleRow]:
    """Return the display rows of every record of a run, in plan order."""
    order = run.judge_names
    return [
        sample_row(r, refusal_judge=run.refusal_judge, harm_judge=run.harm_judge, judge_order=order)
        for r in run.records
    ]
