"""The `tightrope` command. Heavy libraries (torch, transformers) load only when a run needs them.

Exit codes: 0 success; 1 the run finished but failed a check (--max-error-rate); 2 bad input
(one-line error naming what to fix); 130 interrupted (the run is saved and resumes).
"""

from __future__ import annotations

import importlib
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.markup import escape

from tightrope._version import __version__
from tightrope.errors import InputError

if TYPE_CHECKING:
    from tightrope.report.loader import LoadedRun

app = typer.Typer(
    name="tightrope",
    help="Evaluate LLM safety on both sides: harmful compliance and over-refusal, with 95% CIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

DEFAULT_OUT = Path("tightrope-runs")

# Piped output (CI logs, files) gets a width that fits the whole table instead of rich's 80.
stdout = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 120)
stderr = Console(stderr=True, width=None if sys.stderr.isatty() or "COLUMNS" in os.environ else 120)


def _fail(message: str, code: int = 2) -> NoReturn:
    # Escaped: a message may hold brackets that rich would read as markup ('tightrope[judges]').
    stderr.print(f"[red]error:[/red] {escape(message)}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"tightrope {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """tightrope: does the model help with harmful requests, and refuse harmless ones?"""


@app.command()
def run(
    target: Annotated[
        list[str] | None,
        typer.Option("--target", "-t", help="Model spec, repeatable (default embedded:smollm2)."),
    ] = None,
    suite: Annotated[
        list[str] | None,
        typer.Option(
            "--suite",
            "-s",
            help="Suite: NAME, NAME:ARG or file:PATH, repeatable (default starter).",
        ),
    ] = None,
    attack: Annotated[
        list[str] | None,
        typer.Option("--attack", "-a", help="Attack, repeatable; direct always runs."),
    ] = None,
    attacker_model: Annotated[
        str | None,
        typer.Option(help="Model spec that writes the prompts of pair and tap attacks."),
    ] = None,
    judge: Annotated[
        list[str] | None,
        typer.Option(
            "--judge",
            "-j",
            help="Judge, repeatable; the first refusal judge drives the table. Default: "
            "refusal-clf (or the rule judge `refusal` where refusal-clf is not installed).",
        ),
    ] = None,
    judge_model: Annotated[
        str | None,
        typer.Option(help="Model spec of the LLM judges (harmbench-cls, strongreject, ...)."),
    ] = None,
    judge_panel: Annotated[
        str | None,
        typer.Option(help="Judge panel a,b,c (a member may be name=SPEC); drives its kind."),
    ] = None,
    combine: Annotated[
        str, typer.Option(help="How the panel combines: majority, any, all or mean.")
    ] = "majority",
    limit: Annotated[
        int | None, typer.Option(min=1, help="Use only the first N behaviors of each suite.")
    ] = None,
    sample: Annotated[
        int | None,
        typer.Option(
            min=1, help="Stratified sample of N behaviors per suite (by category, pairs kept)."
        ),
    ] = None,
    sample_seed: Annotated[int, typer.Option(help="Seed of --sample.")] = 0,
    max_tokens: Annotated[
        int | None, typer.Option(min=1, help="New tokens per response (default 150).")
    ] = None,
    temperature: Annotated[
        float | None, typer.Option(min=0.0, help="Sampling temperature (default 0).")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Generation seed (default 0).")] = None,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Batch size for local models (default 48).")
    ] = None,
    concurrency: Annotated[
        int | None, typer.Option(min=1, help="Max requests in flight per endpoint (default 16).")
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds before a request is abandoned.")
    ] = None,
    retries: Annotated[
        int | None, typer.Option(min=1, help="Attempts per request, first included (default 6).")
    ] = None,
    system_prompt: Annotated[
        str | None, typer.Option(help="System prompt sent to every target.")
    ] = None,
    target_config: Annotated[
        Path | None,
        typer.Option(help="YAML of generation keys and backend settings for the targets."),
    ] = None,
    max_error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Exit 1 when more records than this fail.")
    ] = 0.05,
    out: Annotated[Path, typer.Option(help="Folder of the run store.")] = DEFAULT_OUT,
    resume: Annotated[
        str | None, typer.Option(help="Resume this run id (its stored config is used).")
    ] = None,
) -> None:
    """Run an evaluation and print not_unsafe / not_overrefuse per category."""
    import asyncio

    from tightrope.report.progress import RichProgress
    from tightrope.report.terminal import print_tables
    from tightrope.run.runner import RunConfig, run_async

    try:
        generation: dict[str, Any] = {}
        settings: dict[str, Any] = {}
        if target_config is not None:
            from tightrope.targets.config_file import load_target_config

            generation, settings = load_target_config(target_config)
        flags = {
            "batch_size": batch_size,
            "concurrency": concurrency,
            "timeout": timeout,
            "retries": retries,
        }
        settings.update({k: v for k, v in flags.items() if v is not None})
        given = {
            "temperature": temperature,
            "max_tokens": max_tokens,
            "seed": seed,
            "system_prompt": system_prompt,
        }
        generation.update({k: v for k, v in given.items() if v is not None})
        from tightrope.judges.build import check_run_judges, default_judges

        judges, notice = (tuple(judge), None) if judge else default_judges()
        if notice and not resume:
            stderr.print(escape(notice), highlight=False)
        config = RunConfig(
            targets=tuple(target or ("embedded:smollm2",)),
            suites=tuple(suite or ("starter",)),
            attacks=tuple(attack or ("direct",)),
            judges=judges,
            limit=limit,
            sample=sample,
            sample_seed=sample_seed,
            generation=_generation(generation),
            max_error_rate=max_error_rate,
            target_settings=settings,
            attacker_model=attacker_model,
            judge_model=judge_model,
            judge_panel=(judge_panel,) if judge_panel else (),
            combine=combine,
        )
        _check_names(config.targets, config.suites, config.attacks, config.judges)
        if attacker_model is not None:
            _check_names((attacker_model,), (), (), ())
        check_run_judges(judge_model, judge_panel, combine)
    except InputError as exc:
        _fail(str(exc))

    progress = RichProgress(stderr)
    started: list[str] = []

    def on_start(run_id: str, resumed: bool) -> None:
        started.append(run_id)
        verb = "resuming" if resumed else "starting"
        stderr.print(f"{verb} run [bold]{run_id}[/bold]", highlight=False)

    try:
        result = asyncio.run(
            run_async(
                config,
                out=out,
                resume=resume,
                progress=progress,
                on_start=on_start,
            )
        )
    except InputError as exc:
        progress.close()
        _fail(str(exc))
    except KeyboardInterrupt:
        progress.close()
        rid = started[0] if started else "(not started)"
        stderr.print(
            f"interrupted: run {rid} is saved in {out}; give the same command again "
            f"(or --resume {rid}) to continue where it stopped"
        )
        raise typer.Exit(130) from None
    progress.close()
    print_tables(stdout, result.tables, result.instrument)
    from tightrope.report.attack_table import print_attack_summary

    print_attack_summary(
        stdout,
        lambda: result.records,
        result.tables,
        result.instrument,
        scored_judges=result.scored_judges,
    )
    from tightrope.judges.panel import panel_failure_lines

    for line in panel_failure_lines(result.panel_verdicts()):
        stdout.print(line, highlight=False, soft_wrap=True)
    stdout.print(
        f"\nrun [bold]{result.run_id}[/bold] · store {result.store_path} · "
        f"{result.model_calls} model calls, {result.cache_hits} from cache · "
        f"{result.errors} errors ({100 * result.error_rate:.1f}%)",
        highlight=False,
    )
    for u in result.usage:
        cost = (
            "cost unknown (add the model to TIGHTROPE_PRICES)"
            if u.cost_usd is None
            else f"${u.cost_usd:.4f}"
        )
        stdout.print(
            f"{u.role} {u.spec}: {u.calls} responses, {u.prompt_tokens:,} prompt + "
            f"{u.completion_tokens:,} completion tokens, {cost}",
            highlight=False,
        )
    stdout.print(
        f"see it again with: tightrope report {result.run_id} --out {out}", highlight=False
    )
    if result.error_rate_exceeded:
        _fail(
            f"error rate {100 * result.error_rate:.1f}% exceeds --max-error-rate "
            f"{100 * result.max_error_rate:.1f}%; rerun the same command to retry the failed calls",
            code=1,
        )


def _generation(values: dict[str, Any]) -> Any:
    """Return a GenerationConfig, turning validation errors into one-line input errors."""
    from pydantic import ValidationError

    from tightrope.records import GenerationConfig

    try:
        return GenerationConfig(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"generation setting {first['loc'][0]}: {first['msg']}") from None


def _check_names(
    targets: tuple[str, ...],
    suites: tuple[str, ...],
    attacks: tuple[str, ...],
    judges: tuple[str, ...],
) -> None:
    """Fail fast on unknown names, before any store or model is touched."""
    from tightrope.attacks import get_attack
    from tightrope.datasets import check_suite_spec
    from tightrope.judges import judges as judge_registry
    from tightrope.targets import parse_spec
    from tightrope.targets import targets as target_registry

    for spec in targets:
        target_registry.get(parse_spec(spec)[0])
    for name in suites:
        check_suite_spec(name)
    for name in attacks:
        get_attack(name)  # builds it, so a bad argument (a missing shots file) fails here
    for name in judges:
        judge_registry.get(name)


@app.command()
def report(
    run_ids: Annotated[list[str], typer.Argument(help="Run id(s), or 'latest'.")],
    out: Annotated[Path, typer.Option(help="Folder of the run store.")] = DEFAULT_OUT,
    html: Annotated[
        Path | None, typer.Option("--html", help="Write a self-contained HTML report here.")
    ] = None,
    md: Annotated[Path | None, typer.Option("--md", help="Write a Markdown report here.")] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="Write every rate as JSON here.")
    ] = None,
) -> None:
    """Print runs' tables again from the store alone; optionally write HTML, Markdown, JSON."""
    from tightrope.report.loader import load_runs
    from tightrope.report.terminal import print_tables
    from tightrope.report.writers import write_reports

    try:
        runs = load_runs(out, run_ids)
        written = write_reports(runs, html=html, md=md, json=json_out)
    except InputError as exc:
        _fail(str(exc))
    for i, run in enumerate(runs):
        if i:
            stdout.print()
        print_tables(stdout, run.tables, run.instrument)
        _print_run_extras(run)
        stdout.print(
            f"\nrun [bold]{run.run_id}[/bold] · {run.info.status} · created {run.info.created_at}",
            highlight=False,
        )
    for path in written:
        stdout.print(f"wrote {path}", highlight=False)


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
            name for r in run.records for name, v in r.verdicts.items() if v.score is not None
        },
    )
    for line in member_failure_lines(run.records):
        stdout.print(line, highlight=False, soft_wrap=True)


@app.command("runs")
def list_runs(
    out: Annotated[Path, typer.Option(help="Folder of the run store.")] = DEFAULT_OUT,
) -> None:
    """List the runs in a store, newest first."""
    from tightrope.store.store import STORE_FILENAME, Store

    db = out if out.suffix == ".db" else out / STORE_FILENAME
    if not db.is_file():
        _fail(f"{db}: no run store here; pass the folder given to run --out")
    try:
        store = Store.open(db)
    except InputError as exc:
        _fail(str(exc))
    try:
        for info in store.runs():
            c = store.counts(info.run_id)
            targets = ",".join(info.config.get("targets", []))
            stdout.print(
                f"{info.run_id}  {info.status:<8}  {targets}  {c['ok']}/{c['attempts']} responses",
                highlight=False,
            )
    finally:
        store.close()


# Command groups in their own modules, each with `register(app)`; they import heavy libraries
# inside the command functions, so `tightrope --help` stays fast.
GROUPS = ("datasets", "judge_eval", "report_cmds")
for _group in GROUPS:
    importlib.import_module(f"tightrope.cli.{_group}").register(app)


def main() -> None:
    """Entry point of the `tightrope` script."""
    try:
        app()
    except InputError as exc:  # pragma: no cover - commands catch their own
        stderr.print(f"error: {escape(str(exc))}")
        sys.exit(2)
