"""`tightrope judge-eval JUDGE --against jbb|xstest|FILE`: how far a judge agrees with humans.

It runs the judge on every row of a human-labelled set (or, with ``--stored-column COL``,
replays the verdicts stored in that column of the file) and prints the confusion matrix,
agreement, FPR, FNR and Cohen's kappa with 95% intervals, overall and per group. The numbers
come from `tightrope.judges.evaluation`; this module holds the options and the tables.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Annotated, Any

import typer

from tightrope.cli.common import fail, markup_safe, stderr, stdout
from tightrope.errors import InputError


def _pct(x: float) -> str:
    return "-" if x != x else f"{100 * x:.1f}"


def _ci(ci: Sequence[float], scale: float = 100.0, digits: int = 1) -> str:
    lo, hi = ci
    if lo != lo:
        return "-"
    return f"{scale * lo:.{digits}f}–{scale * hi:.{digits}f}"


def render(report: dict[str, Any]) -> None:
    """Print the report as tables on stdout."""
    from rich.table import Table

    o = report["overall"]
    stdout.print(
        f"judge [bold]{markup_safe(report['judge'])}[/bold] ({markup_safe(report['version'])}) "
        f"against [bold]{markup_safe(report['against'])}[/bold]: {report['rows']} rows, human "
        f"{markup_safe(report['truth'])}, positive = {markup_safe(report['positive'])}",
        markup=True,
        highlight=False,
    )
    for note in report["notes"]:
        stdout.print(f"note: {note}", highlight=False)
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


def judge_eval(
    judge: Annotated[str, typer.Argument(help="Judge name, or a,b,c for a panel (see --combine).")],
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
    save: Annotated[
        bool,
        typer.Option(
            "--save",
            help="Write the judge's card (Se, Sp, counts) to the package's cards folder "
            "(or $TIGHTROPE_CARDS_DIR); --correct reads it.",
        ),
    ] = False,
) -> None:
    """Measure a judge against human labels: confusion, agreement, FPR, FNR, Cohen's κ."""
    from tightrope.judges.evaluation import evaluate

    try:
        if save and (stored_column is not None or "," in judge or all_rows):
            raise InputError(
                "--save writes the card of one judge run here on rows it was not trained on: "
                "drop --stored-column, --all-rows or the panel"
            )
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
        fail(str(exc))
    if as_json:
        stdout.out(json.dumps(report, indent=2, allow_nan=True))
    else:
        render(report)
    if save:
        from tightrope.judges.card import card_from_report, save_card

        try:
            path = save_card(card_from_report(report))
        except InputError as exc:
            fail(str(exc))
        (stderr if as_json else stdout).print(f"wrote card {path}", highlight=False)


# Speed classes of the built-in judges: string matchers and rules read thousands of responses a
# second, the learned judges 10-80 on two CPU cores, an LLM judge one model call per response.
SPEED = {
    "gcg-strings": "string",
    "jbb-strings": "string",
    "xstest-strings": "string",
    "refusal": "rule",
    "refusal-clf": "learned",
    "harm-clf": "learned",
}
# Kinds of the built-in LLM judges, which cannot be built without a model.
LLM_KINDS = {
    "harmbench-cls": "harm",
    "harmbench-chat": "harm",
    "jbb-jailbreak": "harm",
    "jbb-refusal": "refusal",
    "strongreject": "harm",
    "xstest-3class": "refusal",
    "llamaguard3": "harm",
    "llamaguard-chat": "harm",
    "pair-rating": "harm",
}


def _kind_and_speed(name: str) -> tuple[str, str]:
    """Return a registered judge's kind and speed class (string, rule, learned or LLM)."""
    from tightrope.judges import get_judge, needs_model

    if needs_model(name):
        return LLM_KINDS.get(name, "?"), "LLM"
    try:
        kind = str(get_judge(name).kind)
    except InputError:  # a learned judge without its packages still has its kind
        kind = {"refusal-clf": "refusal", "harm-clf": "harm"}.get(name, "?")
    return kind, SPEED.get(name, "?")


def _what(name: str) -> str:
    """Return the first paragraph of a judge factory's docstring, on one line, without the
    "Needs --judge-model." the speed column already says."""
    import inspect

    from tightrope.judges import judges

    doc = inspect.getdoc(judges.get(name)) or ""
    text = " ".join(doc.split("\n\n")[0].split())
    return text.replace(" Needs --judge-model.", "").strip()


def list_judges() -> None:
    """List every registered judge: what it is, its kind, speed class and card (measured Se and
    Sp; leave-one-model-out accuracy where the card has it)."""
    from rich.table import Table

    from tightrope.judges import judges
    from tightrope.judges.card import cards_dir, load_cards

    try:
        cards = load_cards()
    except InputError as exc:
        fail(str(exc))
    table = Table(title=f"judges (cards: {cards_dir()})", title_justify="left")
    for col in ("judge", "what", "kind", "speed", "card (version, set, Se and Sp with 95% CI)"):
        table.add_column(col)
    for name in sorted(judges.names()):
        kind, speed = _kind_and_speed(name)
        lines = []
        for c in (c for c in cards if c.judge == name):
            lines.append(f"v{c.version} {c.summary()}")
            if c.held_out_by_model:
                lines.append("  accuracy, unseen models (LOMO):")
                lines += [f"    {h.summary()}" for h in c.held_out_by_model]
            if c.held_out_by_source:
                lines.append("  accuracy, unseen sources (LOSO):")
                lines += [f"    {h.summary()}" for h in c.held_out_by_source]
                # Its truth may not be the card set's human label: the note says whose it is.
                lines.append(f"    ({c.held_out_source_note})")
        table.add_row(name, _what(name), kind, speed, "\n".join(lines) or "no card")
    stdout.print(table)
    stdout.print(
        "harmbench-cls and llamaguard3 give the fine-tuned judge models their own input format "
        "(HarmBench's prompt read from upstream on a completions endpoint; Llama Guard's chat "
        "template); harmbench-chat and llamaguard-chat are tightrope's wording for general chat "
        "models (docs/judges.md)",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add the `judge-eval` and `judges` commands to the main app."""
    app.command("judge-eval")(judge_eval)
    app.command("judges")(list_judges)
