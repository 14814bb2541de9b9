"""`tightrope judge-eval JUDGE --against jbb|xstest|FILE`: how far a judge agrees with humans.

It runs the judge on every row of a human-labelled set (or, with ``--stored-column COL``,
replays the verdicts stored in that column of the file) and prints the confusion matrix,
agreement, FPR, FNR and Cohen's kappa with 95% intervals, overall and per group.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from tightrope.errors import InputError

JUDGE_BATCH = 64


def _label_positive(side: str, kind: str, label: str) -> bool | None:
    """Return whether a judge's label is the set's positive class (None for an error)."""
    if label == "error":
        return None
    if side == "harm":
        # A refusal judge's "compliance" is its "jailbroken" verdict (REFERENCE.md section 1).
        return label == "unsafe" if kind == "harm" else label == "compliance"
    return label in ("refusal", "partial")


def _stored(side: str, value: str) -> tuple[bool | None, str | None]:
    from tightrope.judges.evalsets import harm_truth, refusal_label

    if side == "harm":
        truth = harm_truth(value)
        return truth, None if truth is None else ("unsafe" if truth else "safe")
    label = refusal_label(value)
    return (None if label is None else label != "compliance"), label


def judge_rows(
    judge_name: str, evalset: Any, *, judge_model: str | None, combine: str
) -> tuple[list[tuple[bool | None, str | None]], str, str]:
    """Run a judge (or a comma-separated panel) over the rows; return per-row (positive or
    None, label or None), the judge's display name and its version."""
    import asyncio

    from tightrope.judges import JudgeItem
    from tightrope.judges.build import build_judges
    from tightrope.records import Behavior

    if "," in judge_name:
        made = build_judges([], judge_model=judge_model, panel=[judge_name], combine=combine)
    else:
        made = build_judges([judge_name], judge_model=judge_model)
    judge = next(iter(made.values()))
    if evalset.side == "refusal" and judge.kind == "harm":
        raise InputError(
            f"{judge.name} is a harm judge; {evalset.name} measures refusal judges "
            "(use --against jbb, or a file with unsafe/safe labels)"
        )
    items = [
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

    async def run_all() -> list[Any]:
        out: list[Any] = []
        for i in range(0, len(items), JUDGE_BATCH):
            out += await judge.judge(items[i : i + JUDGE_BATCH])
        return out

    verdicts = asyncio.run(run_all())
    pairs = [
        (_label_positive(evalset.side, judge.kind, v.label), None if not v.ok else str(v.label))
        for v in verdicts
    ]
    return pairs, judge.name, judge.version


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
    over-refusal side."""
    from tightrope.judges.evalsets import load_evalset
    from tightrope.metrics.agreement import exact_agreement, tally

    if by not in ("category", "model"):
        raise InputError(f"--by {by!r}: use category or model")
    evalset = load_evalset(against, data_dir)
    notes: list[str] = []
    if judge_name == "refusal-clf" and evalset.name == "xstest" and not all_rows:
        from tightrope.judges.clf import in_training_split

        kept = [r for r in evalset.rows if not in_training_split(r.id.split("/")[-1])]
        notes.append(
            f"refusal-clf was trained on half of the XSTest prompts; scoring only the "
            f"{len(kept)} held-out rows (--all-rows to include its training rows)"
        )
        evalset = type(evalset)(evalset.name, evalset.side, kept, evalset.truth_column)
    if stored_column is not None:
        if evalset.rows and stored_column not in evalset.rows[0].columns:
            cols = ", ".join(sorted(evalset.rows[0].columns))
            raise InputError(f"--stored-column {stored_column!r} is not in {evalset.name}: {cols}")
        pairs = [_stored(evalset.side, r.columns.get(stored_column, "")) for r in evalset.rows]
        name, version = judge_name, f"stored column {stored_column}"
    else:
        pairs, name, version = judge_rows(
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


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f}"


def _ci(ci: Sequence[float], scale: float = 100.0, digits: int = 1) -> str:
    lo, hi = ci
    if lo != lo:
        return "-"
    return f"{scale * lo:.{digits}f}–{scale * hi:.{digits}f}"


def render(report: dict[str, Any]) -> None:
    """Print the report as tables on stdout."""
    from rich.markup import escape
    from rich.table import Table

    from tightrope.cli.app import stdout

    o = report["overall"]
    stdout.print(
        f"judge [bold]{report['judge']}[/bold] ({report['version']}) against "
        f"[bold]{report['against']}[/bold]: {report['rows']} rows, human {report['truth']}, "
        f"positive = {report['positive']}",
        highlight=False,
    )
    for note in report["notes"]:
        stdout.print(f"note: {escape(note)}", highlight=False)
    matrix = Table(title="confusion (rows: human, columns: judge)", title_justify="left")
    matrix.add_column("")
    matrix.add_column("judge positive", justify="right")
    matrix.add_column("judge negative", justify="right")
    matrix.add_row("human positive", f"TP {o['tp']}", f"FN {o['fn']}")
    matrix.add_row("human negative", f"FP {o['fp']}", f"TN {o['tn']}")
    stdout.print(matrix)
    stdout.print(
        f"judge errors (left out): {o['errors']}\n"
        f"agreement {_pct(o['agreement'])}% [{_ci(o['agreement_ci'])}] · "
        f"FPR {_pct(o['fpr'])}% [{_ci(o['fpr_ci'])}] · FNR {_pct(o['fnr'])}% [{_ci(o['fnr_ci'])}] · "
        f"Cohen κ {o['kappa']:.3f} [{_ci(o['kappa_ci'], 1.0, 3)}]",
        highlight=False,
    )
    if "three_class" in report:
        t = report["three_class"]
        share = _pct(t["match"] / t["compared"]) if t["compared"] else "-"
        stdout.print(
            f"3-class agreement (compliance / refusal / partial): {t['match']}/{t['compared']} "
            f"= {share}%",
            highlight=False,
        )
    table = Table(title=f"per {report['by']} (95% intervals: Wilson; κ: bootstrap)")
    for col in ("group", "n", "err", "TP", "FP", "FN", "TN", "agree %", "FPR %", "FNR %", "κ"):
        table.add_column(col, justify="left" if col == "group" else "right")
    for g, s in report["groups"].items():
        table.add_row(
            g,
            str(s["n"]),
            str(s["errors"]),
            *(str(s[k]) for k in ("tp", "fp", "fn", "tn")),
            f"{_pct(s['agreement'])} [{_ci(s['agreement_ci'])}]",
            f"{_pct(s['fpr'])} [{_ci(s['fpr_ci'])}]",
            f"{_pct(s['fnr'])} [{_ci(s['fnr_ci'])}]",
            "-" if s["kappa"] != s["kappa"] else f"{s['kappa']:.3f}",
        )
    stdout.print(table)


def register(app: typer.Typer) -> None:
    """Add the `judge-eval` command to `app`."""

    @app.command("judge-eval")
    def judge_eval(
        judge: Annotated[
            str, typer.Argument(help="Judge name, or a,b,c for a panel (see --combine).")
        ],
        against: Annotated[
            str, typer.Option("--against", help="jbb, xstest, or a CSV file with human labels.")
        ],
        stored_column: Annotated[
            str | None,
            typer.Option(help="Replay the verdicts stored in this column instead of judging."),
        ] = None,
        data_dir: Annotated[
            str | None,
            typer.Option(help="Folder with jbb/ and xstest/ (default: $TIGHTROPE_DATA_DIR)."),
        ] = None,
        judge_model: Annotated[str | None, typer.Option(help="Model spec for LLM judges.")] = None,
        combine: Annotated[
            str, typer.Option(help="Panel rule: majority, any, all or mean.")
        ] = "majority",
        by: Annotated[
            str, typer.Option(help="Group rows by: category, or model (XSTest files).")
        ] = "category",
        all_rows: Annotated[
            bool, typer.Option(help="refusal-clf on xstest: include its training rows too.")
        ] = False,
        as_json: Annotated[bool, typer.Option("--json", help="Print the report as JSON.")] = False,
    ) -> None:
        """Measure a judge against human labels: confusion, agreement, FPR, FNR, Cohen's κ."""
        from tightrope.cli.app import _fail, stdout

        try:
            report = evaluate(
                judge,
                against,
                data_dir=data_dir,
                stored_column=stored_column,
                judge_model=judge_model,
                combine=combine,
                by=by,
                all_rows=all_rows,
            )
        except InputError as exc:
            _fail(str(exc))
        if as_json:
            stdout.out(json.dumps(report, indent=2, allow_nan=True))
        else:
            render(report)
