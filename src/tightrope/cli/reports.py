"""`tightrope report`, `runs`, `compare`, `gate`, `view` and `export`: reading finished runs from
the store, never calling a model.

Exit codes: 0 success; 1 a gate breached (or compare --fail-on-worse found a worse metric);
2 bad input, including a malformed policy or mismatched instruments without --allow-mismatch;
3 `report --log-to`: logging a run to a tracker failed.
"""

from __future__ import annotations

import json
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from tightrope.cli.common import (
    DEFAULT_OUT,
    TRACKING_FAILED,
    LogLevelOption,
    LogToOption,
    OutOption,
    checked_trackers,
    configure_logging,
    fail,
    log_to_trackers,
    markup_safe,
    print_corrected,
    stderr,
    stdout,
)
from tightrope.errors import InputError
from tightrope.store.schema import refuse_store_paths

if TYPE_CHECKING:
    from tightrope.report.loader import LoadedRun


def report(
    run_ids: Annotated[
        list[str], typer.Argument(help="Run id(s), 'latest', or the name of a sweep.")
    ],
    out: OutOption = DEFAULT_OUT,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    md: Annotated[Path | None, typer.Option("--md", help="Write a Markdown report here.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every rate as JSON here.")
    ] = None,
    correct: Annotated[
        bool,
        typer.Option(
            "--correct",
            help="Also print each headline rate corrected for its judge's measured error "
            "(judges with a card; see tightrope judges).",
        ),
    ] = False,
    log_to: LogToOption = None,
    log_level: LogLevelOption = None,
) -> None:
    """Print runs' tables again from the store alone; optionally write HTML, Markdown, JSON,
    and log the runs to experiment trackers (--log-to)."""
    from tightrope.report.loader import load_runs
    from tightrope.report.terminal import print_tables
    from tightrope.report.writers import write_reports

    configure_logging(log_level)
    trackers = checked_trackers(log_to)
    if len(run_ids) == 1 and _report_sweep(run_ids[0], out, html, md, json_out):
        return
    try:
        refuse_store_paths(out, (html, md, json_out))
        runs = load_runs(out, run_ids)
        written = write_reports(runs, html=html, md=md, json=json_out)
    except InputError as exc:
        fail(str(exc))
    for i, run in enumerate(runs):
        if i:
            stdout.print()
        print_tables(stdout, run.tables, run.instrument)
        _print_run_extras(run)
        helm = run.helm()
        if helm:
            from tightrope.report.helm import print_helm

            stdout.print()
            print_helm(stdout, helm)
        choice = run.choice()
        if choice:
            from tightrope.report.choice import print_choice

            stdout.print()
            print_choice(stdout, choice)
        if correct:
            print_corrected(run.tables, run.instrument)
        stdout.print(
            f"\nrun [bold]{markup_safe(run.run_id)}[/bold] · {markup_safe(run.info.status)} · "
            f"created {markup_safe(run.info.created_at)}",
            markup=True,
            highlight=False,
        )
    for path in written:
        stdout.print(f"wrote {path}", highlight=False)
    tracked = [log_to_trackers(trackers, out, run.run_id) for run in runs]
    if not all(tracked):
        raise typer.Exit(TRACKING_FAILED)


def _report_sweep(
    name: str, out: Path, html: Path | None, md: Path | None, json_out: Path | None
) -> bool:
    """Print (and write as HTML) the report of sweep `name`; False when `name` is no sweep
    of the store (it is then a run id)."""
    from tightrope.report.sweep import find_sweep, print_sweep, write_sweep_html

    if name == "latest":
        return False
    try:
        report = find_sweep(out, name)
        if report is None:
            return False
        refuse_store_paths(out, (html,))
        if md is not None or json_out is not None:
            raise InputError(
                f"sweep {name}: --md and --json are written per run; give a cell's run id "
                "(listed below the sweep) or use --html"
            )
        if html is not None:
            try:
                write_sweep_html(report, html)
            except OSError as exc:
                raise InputError(f"{html}: cannot write the report ({exc.strerror})") from None
    except InputError as exc:
        fail(str(exc))
    print_sweep(stdout, report)
    if html is not None:
        stdout.print(f"wrote {html}", highlight=False)
    return True


def _print_run_extras(run: LoadedRun) -> None:
    """Print what `tightrope run` printed below its tables: attack summary, panel failures."""
    from tightrope.judges.panel import member_failure_lines
    from tightrope.report.attack_table import print_attack_summary

    print_attack_summary(
        stdout,
        lambda: run.records,
        run.tables,
        run.instrument,
        scored_judges={
            name
            for r in run.records
            for name, v in r.verdicts.items()
            if v.score is not None and v.score_meaning == "harm"
        },
    )
    for line in member_failure_lines(run.records):
        stdout.print(line, highlight=False, soft_wrap=True)


def list_runs(
    out: OutOption = DEFAULT_OUT,
) -> None:
    """List the runs in a store, newest first."""
    from tightrope.store import STORE_FILENAME, Store

    db = out if out.suffix == ".db" else out / STORE_FILENAME
    if not db.is_file():
        fail(f"{db}: no run store here; pass the folder given to run --out")
    try:
        store = Store.open(db, readonly=True)
    except InputError as exc:
        fail(str(exc))
    try:
        for info in store.runs():
            c = store.counts(info.run_id)
            targets = ",".join(info.config.get("targets", []))
            stdout.print(
                f"{info.run_id}  {info.status:<8}  {targets}  {c['ok']}/{c['attempts']} responses",
                highlight=False,
            )
    except InputError as exc:
        fail(str(exc))
    finally:
        store.close()


def compare(
    run_a: Annotated[str, typer.Argument(help="Baseline run id ('latest' allowed).")],
    run_b: Annotated[str, typer.Argument(help="Candidate run id.")],
    out: OutOption = DEFAULT_OUT,
    allow_mismatch: Annotated[
        bool, typer.Option(help="Compare even when the instruments differ (loud warning).")
    ] = False,
    target_a: Annotated[
        str | None, typer.Option(help="Target of run A, if it has several.")
    ] = None,
    target_b: Annotated[
        str | None, typer.Option(help="Target of run B, if it has several.")
    ] = None,
    attack: Annotated[
        list[str] | None, typer.Option(help="Attack to compare, repeatable (default: shared).")
    ] = None,
    max_flips: Annotated[int, typer.Option(min=0, help="Flipped behaviors to list.")] = 20,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write the comparison as JSON.")
    ] = None,
    fail_on_worse: Annotated[
        bool, typer.Option(help="Exit 1 when B is significantly worse on any row.")
    ] = False,
) -> None:
    """Paired comparison of two runs: B−A per metric and category, exact McNemar, flips."""
    from tightrope.report.compare import compare_runs
    from tightrope.report.compare_render import (
        comparison_json,
        mismatch_panel,
        print_comparison,
        verdict_word,
    )
    from tightrope.report.loader import load_runs

    try:
        refuse_store_paths(out, (json_out,))
        runs = load_runs(out, [run_a, run_b])
        a, b = (runs[0], runs[0]) if len(runs) == 1 else (runs[0], runs[1])
        comps = compare_runs(a, b, target_a=target_a, target_b=target_b, attacks=attack)
    except InputError as exc:
        fail(str(exc))
    mismatches = comps[0].mismatches
    if mismatches:
        stderr.print(mismatch_panel(mismatches, allowed=allow_mismatch))
        if not allow_mismatch:
            raise typer.Exit(2)
    print_comparison(stdout, comps, max_flips=max_flips)
    from tightrope.report.helm import print_helm_compare

    helm_a, helm_b = a.helm(), b.helm()
    if helm_a and helm_b:
        pick_a = next((h for h in helm_a if target_a in (None, h.target)), helm_a[0])
        pick_b = next((h for h in helm_b if target_b in (None, h.target)), helm_b[0])
        stdout.print()
        print_helm_compare(stdout, pick_a, pick_b)
    if mismatches:
        stderr.print(
            "WARNING: instruments differ; see the warning above before reading these numbers",
            style="bold red",
        )
    if json_out is not None:
        json_out.write_text(json.dumps(comparison_json(comps), indent=2) + "\n", encoding="utf-8")
    if fail_on_worse and any(verdict_word(r) == "worse" for c in comps for r in c.rows):
        raise typer.Exit(1)


def gate(
    run_id: Annotated[str, typer.Argument(help="Run id, or 'latest'.")],
    policy: Annotated[Path, typer.Option(help="Policy YAML (see examples/).")],
    out: OutOption = DEFAULT_OUT,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Also write every check as JSON.")
    ] = None,
) -> None:
    """Check a run against a release policy on interval bounds: exit 1 on any breach.

    A policy with `levels:` is an RSP-style policy: capability thresholds pick the level, and
    the level's safeguards (and every lower level's) are checked (report/rsp.py).
    """
    from tightrope.report.gate import evaluate_policy, gate_json, print_gate
    from tightrope.report.loader import load_runs
    from tightrope.report.policy import load_policy
    from tightrope.report.rsp import is_rsp_policy

    if is_rsp_policy(policy):
        _rsp_gate(run_id, policy, out, json_out)
        return
    try:
        refuse_store_paths(out, (json_out,))
        parsed = load_policy(policy)
        run = load_runs(out, [run_id])[0]
    except InputError as exc:
        fail(str(exc))
    checks = evaluate_policy(parsed, run)
    print_gate(stdout, parsed, run, checks)
    if json_out is not None:
        payload = gate_json(parsed, run, checks)
        json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if not all(c.passed for c in checks):
        raise typer.Exit(1)


def _rsp_gate(run_id: str, policy: Path, out: Path, json_out: Path | None) -> None:
    """`gate` with an RSP policy (a `levels:` list): the level reached, then its safeguards."""
    from tightrope.report.loader import load_runs
    from tightrope.report.rsp import load_rsp_policy
    from tightrope.report.rsp_gate import evaluate_rsp, print_rsp, rsp_json, run_metrics

    try:
        refuse_store_paths(out, (json_out,))
        parsed = load_rsp_policy(policy)
        run = load_runs(out, [run_id])[0]
        verdicts = evaluate_rsp(parsed, run_metrics(run))
    except InputError as exc:
        fail(str(exc))
    print_rsp(stdout, parsed, run.run_id, verdicts)
    if json_out is not None:
        payload = rsp_json(parsed, run.run_id, verdicts)
        json_out.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    if not all(v.passed for v in verdicts):
        raise typer.Exit(1)


def view(
    out: OutOption = DEFAULT_OUT,
    host: Annotated[
        str, typer.Option(help="Address to bind; anything but loopback exposes your runs.")
    ] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=0, max=65535, help="Port (0: a free one).")] = 0,
) -> None:
    """Browse the runs of a store in a local, read-only web viewer (Ctrl-C to stop)."""
    from tightrope.viewer.server import _is_loopback, serve

    if not _is_loopback(host):
        stderr.print(
            f"WARNING: binding {host}: anyone who can reach this address can read these runs",
            style="bold red",
        )

    def ready(url: str) -> None:
        """Print where the viewer listens."""
        stdout.print(f"tightrope viewer on {url} (read-only; Ctrl-C to stop)", highlight=False)

    try:
        serve(out, host=host, port=port, on_ready=ready)
    except InputError as exc:
        fail(str(exc))
    except KeyboardInterrupt:
        raise typer.Exit(0) from None


class ExportFormat(StrEnum):
    """Formats of `tightrope export`."""

    jsonl = "jsonl"
    parquet = "parquet"
    inspect = "inspect"
    jbb = "jbb"
    config = "config"


def export(
    run_id: Annotated[str, typer.Argument(help="Run id, or 'latest'.")],
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="Export format.")],
    file: Annotated[
        Path | None,
        typer.Option("--file", "-o", help="File (or folder) to write; --out is the store."),
    ] = None,
    out: OutOption = DEFAULT_OUT,
    target: Annotated[str | None, typer.Option(help="jbb: the target, if several.")] = None,
    attack: Annotated[str | None, typer.Option(help="jbb: the attack (default direct).")] = None,
    old_output: Annotated[
        Path | None, typer.Option("--output", hidden=True, help="Deprecated: --file.")
    ] = None,
) -> None:
    """Export a run: jsonl, parquet, inspect (Inspect AI log), jbb (artifact) or config (a
    run file that `tightrope run --config` repeats the run from)."""
    from tightrope.report.loader import load_runs

    if old_output is not None:
        if file is not None:
            fail("give the file once: --file (-o); --output is its old, deprecated name")
        stderr.print("warning: --output is deprecated; use --file (-o)", highlight=False)
        file = old_output
    if file is None:
        fail("missing --file PATH (-o): the file or folder to write (--out is the store)")
    output = file
    try:
        refuse_store_paths(out, (output,))
        run = load_runs(out, [run_id])[0]
        if format is ExportFormat.jsonl:
            from tightrope.report.exports import write_jsonl

            written = f"{write_jsonl(run.records, output)} records"
            files = [output]
        elif format is ExportFormat.parquet:
            from tightrope.report.exports import write_parquet

            written = f"{write_parquet(run, output)} rows"
            files = [output]
        elif format is ExportFormat.inspect:
            from tightrope.report.inspect_log import write_inspect_logs

            files = write_inspect_logs(run, output)
            written = f"{len(files)} Inspect log(s); open with: inspect view --log-dir " + str(
                files[0].parent
            )
        elif format is ExportFormat.config:
            from tightrope.run.run_file import dump_run_file

            output.write_text(
                dump_run_file(run.info.config, run_id=run.run_id, out=str(out)), encoding="utf-8"
            )
            written = f"run config; repeat it with: tightrope run --config {output}"
            files = [output]
        else:
            from tightrope.report.jbb import write_jbb

            written = f"{write_jbb(run, output, target=target, attack=attack)} behaviors"
            files = [output]
    except InputError as exc:
        fail(str(exc))
    except OSError as exc:
        fail(f"{output}: cannot write ({exc.strerror})")
    stdout.print(
        f"wrote {', '.join(str(f) for f in files)} · {written} · run {run.run_id}",
        highlight=False,
    )


def register(app: typer.Typer) -> None:
    """Add report, runs, compare, gate, view and export to the main app."""
    app.command()(report)
    app.command("runs")(list_runs)
    app.command()(compare)
    app.command()(gate)
    app.command()(view)
    app.command()(export)
