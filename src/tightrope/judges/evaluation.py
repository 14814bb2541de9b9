"""Judge meta-evaluation: how far a judge agrees with humans on a human-labelled set.

`evaluate` runs a judge (or a panel) on every row of a set from `judges.evalsets` (or replays the
verdicts stored in one column of the file) and returns the confusion counts, agreement, FPR, FNR
and Cohen's kappa with 95% intervals, overall and per group, as a JSON-ready dict. Positive is the
class a judge is meant to find: `unsafe` on the harm side, refusal (full or partial) on the
over-refusal side. A judge error counts as neither class: it is left out and reported beside the
counts. `tightrope judge-eval` prints this report.
"""

from __future__ import annotations

import asyncio
from typing import Any

from tightrope.errors import InputError
from tightrope.judges._base import Judge, JudgeItem
from tightrope.judges.build import build_judges
from tightrope.judges.evalsets import EvalSet, harm_truth, load_evalset, refusal_label
from tightrope.metrics.agreement import exact_agreement, tally
from tightrope.records import Behavior, Verdict

# Rows judged per call of a judge.
JUDGE_BATCH = 64

# A judged row: whether the judge found the positive class (None for an error), and its label
# (None for an error; a 3-class label on the over-refusal side, compared with the human one).
Judged = tuple[bool | None, str | None]


def _label_positive(side: str, kind: str, label: str) -> bool | None:
    """Return whether a judge's label is the set's positive class (None for an error)."""
    if label == "error":
        return None
    if side == "harm":
        # A refusal judge's "compliance" is its "jailbroken" verdict (REFERENCE.md section 1).
        return label == "unsafe" if kind == "harm" else label == "compliance"
    return label in ("refusal", "partial")


def _stored(side: str, value: str) -> Judged:
    """Read one stored verdict (a cell of `--stored-column`) as a judged row."""
    if side == "harm":
        truth = harm_truth(value)
        return truth, None if truth is None else ("unsafe" if truth else "safe")
    label = refusal_label(value)
    return (None if label is None else label != "compliance"), label


def _build(judge_name: str, *, judge_model: str | None, combine: str) -> Judge:
    """Build one judge, or a panel when the name is a comma-separated list of members."""
    if "," in judge_name:
        made = build_judges([], judge_model=judge_model, panel=[judge_name], combine=combine)
    else:
        made = build_judges([judge_name], judge_model=judge_model)
    return next(iter(made.values()))


def _items(evalset: EvalSet) -> list[JudgeItem]:
    """Return the rows of a set as judge inputs: the prompt as a behavior, and its response."""
    return [
        JudgeItem(
            behavior=Behavior(
                id=row.id,
                text=row.prompt,
                side="harmful" if evalset.side == "harm" else "benign",
                category="unknown",
                source_category=row.groups.get("category", "all"),
                source=evalset.name,
            ),
            response=row.response,
        )
        for row in evalset.rows
    ]


def judge_rows(
    judge_name: str, evalset: EvalSet, *, judge_model: str | None, combine: str
) -> tuple[list[Judged], str, str, str]:
    """Run a judge (or a comma-separated panel) over the rows; return per-row (positive or
    None, label or None), the judge's display name, its version and its kind.

    Raises InputError when a harm judge is asked to judge an over-refusal set.
    """
    judge = _build(judge_name, judge_model=judge_model, combine=combine)
    if evalset.side == "refusal" and judge.kind == "harm":
        raise InputError(
            f"{judge.name} is a harm judge; {evalset.name} measures refusal judges "
            "(use --against jbb, or a file with unsafe/safe labels)"
        )
    items = _items(evalset)

    async def run_all() -> list[Verdict]:
        out: list[Verdict] = []
        for i in range(0, len(items), JUDGE_BATCH):
            out += await judge.judge(items[i : i + JUDGE_BATCH])
        return out

    verdicts = asyncio.run(run_all())
    pairs = [
        (_label_positive(evalset.side, judge.kind, v.label), None if not v.ok else str(v.label))
        for v in verdicts
    ]
    return pairs, judge.name, judge.version, judge.kind


def _held_out(judge_name: str, evalset: EvalSet, all_rows: bool) -> tuple[EvalSet, list[str]]:
    """Drop refusal-clf's XSTest training rows (unless all_rows); return the set and a note
    (also for the rule judge's in-sample XSTest figure and harm-clf's four-times-seen test set)."""
    if judge_name == "refusal" and evalset.name == "xstest":
        return evalset, [
            "the rule judge's rules were written while reading these XSTest rows: an in-sample "
            "figure, optimistic for other models' answers"
        ]
    if judge_name == "harm-clf" and evalset.name == "jbb":
        return evalset, [
            "harm-clf's test set: none of its rows trained it, but it was looked at four times "
            "while harm-clf was developed (docs/judges.md), so the figure is slightly optimistic"
        ]
    if judge_name != "refusal-clf" or evalset.name != "xstest" or all_rows:
        return evalset, []
    from tightrope.judges.clf import in_training_split

    kept = [r for r in evalset.rows if not in_training_split(r.id.split("/")[-1])]
    note = (
        f"refusal-clf was trained on half of the XSTest prompts; scoring only the "
        f"{len(kept)} held-out rows (--all-rows to include its training rows)"
    )
    return type(evalset)(evalset.name, evalset.side, kept, evalset.truth_column), [note]


def _replay(evalset: EvalSet, column: str) -> list[Judged]:
    """Return the verdicts stored in one column of the set, as judged rows."""
    if evalset.rows and column not in evalset.rows[0].columns:
        cols = ", ".join(sorted(evalset.rows[0].columns))
        raise InputError(f"--stored-column {column!r} is not in {evalset.name}: {cols}")
    return [_stored(evalset.side, r.columns.get(column, "")) for r in evalset.rows]


def evaluate(
    judge_name: str,
    against: str,
    *,
    data_dir: str | None = None,
    stored_column: str | None = None,
    judge_model: str | None = None,
    combine: str = "majority",
    by: str = "category",
    all_rows: bool = False,
    n_boot: int = 2000,
) -> dict[str, Any]:
    """Return the agreement report of a judge against a human-labelled set as a JSON-ready dict:
    overall and per-group counts, rates, kappa and intervals, plus the 3-class view on the
    over-refusal side.

    `against` is jbb, xstest or a CSV file (see `judges.evalsets`); `stored_column` replays the
    verdicts in that column instead of running the judge; `by` groups rows by category or model.
    Raises InputError on a bad set, column, grouping or judge.
    """
    if by not in ("category", "model"):
        raise InputError(f"--by {by!r}: use category or model")
    evalset, notes = _held_out(judge_name, load_evalset(against, data_dir), all_rows)
    if stored_column is not None:
        pairs = _replay(evalset, stored_column)
        name, version, kind = judge_name, f"stored column {stored_column}", "stored"
    else:
        pairs, name, version, kind = judge_rows(
            judge_name, evalset, judge_model=judge_model, combine=combine
        )
    truths = [r.truth for r in evalset.rows]
    groups: dict[str, list[int]] = {}
    for i, r in enumerate(evalset.rows):
        groups.setdefault(r.groups.get(by, "all"), []).append(i)
    overall = tally((t, p) for t, (p, _) in zip(truths, pairs, strict=True))
    report: dict[str, Any] = {
        "judge": name,
        "version": version,
        "kind": kind,
        "against": evalset.name,
        "side": evalset.side,
        "truth": evalset.truth_column,
        "positive": "unsafe" if evalset.side == "harm" else "refusal (full or partial)",
        "rows": len(evalset.rows),
        "notes": notes,
        "overall": overall.summary(n_boot=n_boot),
        "by": by,
        "groups": {
            g: tally((truths[i], pairs[i][0]) for i in idx).summary(n_boot=n_boot)
            for g, idx in sorted(groups.items())
        },
    }
    if evalset.side == "refusal":
        labels = [(r.label, p[1]) for r, p in zip(evalset.rows, pairs, strict=True)]
        match, compared = exact_agreement(labels)
        report["three_class"] = {"match": match, "compared": compared}
    return report
