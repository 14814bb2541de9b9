"""`tightrope run`: evaluate targets on suites and print not_unsafe / not_overrefuse per category.

Exit codes: 0 success; 1 the run finished but more records failed than --max-error-rate;
2 bad input (one-line error naming what to fix; a --log-to tracker whose SDK is missing is
found before any model call); 3 the run finished and is stored but logging it to a --log-to
tracker failed (1 wins when both happen); 130 interrupted (the run is saved and resumes).
"""

from __future__ import annotations

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

if TYPE_CHECKING:
    from tightrope.run import ResolvedRun, RunConfig, RunResult


def run(
    ctx: typer.Context,
    config_file: Annotated[
        Path | None,
        typer.Option(
            "--config",
            help="YAML of the whole run: every option of this command as a key (flags given "
            "here win); `tightrope export RUN -f config` writes one that repeats a run.",
        ),
    ] = None,
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
        int | None,
        typer.Option(min=1, help="Use only the first N behaviors of each suite (and their twins)."),
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
        int | None,
        typer.Option(
            "--concurrency",
            "--max-connections",
            min=1,
            help="Max requests in flight per endpoint (default 16).",
        ),
    ] = None,
    timeout: Annotated[
        float | None, typer.Option(min=0.1, help="Seconds before a request is abandoned.")
    ] = None,
    retries: Annotated[
        int | None, typer.Option(min=1, help="Attempts per request, first included (default 6).")
    ] = None,
    transport: Annotated[
        str | None,
        typer.Option(
            help="HTTP client of openai targets: sdk (the openai SDK) or lean (tightrope's own "
            "client). Default: sdk for openai:, lean for openai-compatible:."
        ),
    ] = None,
    max_retries: Annotated[
        int | None,
        typer.Option(
            min=0, help="Inspect's name: retries after the first attempt (= --retries N+1)."
        ),
    ] = None,
    system_prompt: Annotated[
        str | None,
        typer.Option(
            "--system-prompt", "--system-message", help="System prompt sent to every target."
        ),
    ] = None,
    model_arg: Annotated[
        list[str] | None,
        typer.Option(
            "--model-arg",
            "-M",
            help="Target setting key=value, repeatable (as in --target-config; e.g. -M timeout=30).",
        ),
    ] = None,
    target_config: Annotated[
        Path | None,
        typer.Option(help="YAML of generation keys and backend settings for the targets."),
    ] = None,
    choice_scoring: Annotated[
        str,
        typer.Option(
            help="How multiple-choice items (bbq, wmdp) are answered: generate (a reply, its "
            "letter parsed) or loglik (local models: the most likely option letter)."
        ),
    ] = "generate",
    max_error_rate: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Exit 1 when more records than this fail.")
    ] = 0.05,
    out: OutOption = DEFAULT_OUT,
    cache: Annotated[
        str,
        typer.Option(
            help="Response cache: read-write, read-only (use, never store), off (neither) or "
            "refresh (ask every model again and replace the cached answers)."
        ),
    ] = "read-write",
    max_cost: Annotated[
        float | None,
        typer.Option(
            help="Stop (resumable) before a call would take this run past USD spent "
            "(price table: TIGHTROPE_PRICES)."
        ),
    ] = None,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Print the plan, calls, tokens and cost estimate; call nothing."
        ),
    ] = False,
    resume: Annotated[
        str | None, typer.Option(help="Resume this run id (its stored config is used).")
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
    """Run an evaluation and print not_unsafe / not_overrefuse per category."""
    from tightrope.cli.run_options import build_config, merge_run_file

    configure_logging(log_level)
    # Before anything is resolved or called: an unknown tracker or a missing SDK exits 2 here.
    trackers = checked_trackers(log_to)
    options = dict(ctx.params)
    for key in ("config_file", "correct", "log_to", "log_level"):
        options.pop(key)
    aliased: frozenset[str] = frozenset()
    try:
        if options.pop("max_retries") is not None:
            if retries is not None:
                raise InputError("give --retries or --max-retries, not both")
            options["retries"] = (max_retries or 0) + 1
            aliased = frozenset({"retries"})
        options, extra, stored = merge_run_file(ctx, options, config_file, also_given=aliased)
        config = build_config(options, extra, stored)
        out, resume, dry_run = options["out"], options["resume"], options["dry_run"]
        planned = config if resume else _resolve(config)
        if dry_run:
            _dry_run(planned, out)
            return
    except InputError as exc:
        fail(str(exc))
    result = _execute(planned, out, resume)
    _print_result(result)
    if correct:
        print_corrected(result.tables, result.instrument)
    _print_run_line(result, out)
    tracked = log_to_trackers(trackers, out, result.run_id)
    if result.error_rate_exceeded:
        fail(
            f"error rate {100 * result.error_rate:.1f}% exceeds --max-error-rate "
            f"{100 * result.max_error_rate:.1f}%; rerun the same command to retry the failed calls",
            code=1,
        )
    if not tracked:
        raise typer.Exit(TRACKING_FAILED)


def _dry_run(planned: RunConfig | ResolvedRun, out: Path) -> None:
    """Print the estimate of the run (--dry-run) without calling or writing anything."""
    from tightrope.report.estimate_view import print_estimate
    from tightrope.run import ResolvedRun
    from tightrope.run.estimate import estimate

    resolved = planned if isinstance(planned, ResolvedRun) else _resolve(planned)
    print_estimate(stdout, estimate(resolved, out))


def _resolve(config: RunConfig) -> ResolvedRun:
    """Resolve the run once (every name to objects, defaults filled; InputError on bad input,
    before any store or model is touched) and print its notices (a default judge replaced)."""
    from tightrope.run import resolve

    return resolve(config, notify=lambda notice: stderr.print(notice, highlight=False))


def _execute(config: RunConfig | ResolvedRun, out: Path, resume: str | None) -> RunResult:
    """Run the evaluation with a progress bar on stderr; exit 2 on bad input and 130 when
    interrupted (the run is saved; the same command resumes it). The run goes on uvloop where
    it is installed (tightrope/eventloop.py)."""
    from tightrope import eventloop
    from tightrope.report.progress import RichProgress
    from tightrope.run import run_async
    from tightrope.targets.cached import CostLimitReached

    progress = RichProgress(stderr)
    started: list[str] = []

    def on_start(run_id: str, resumed: bool) -> None:
        started.append(run_id)
        verb = "resuming" if resumed else "starting"
        stderr.print(f"{verb} run [bold]{markup_safe(run_id)}[/bold]", markup=True, highlight=False)

    try:
        result = eventloop.run(
            run_async(config, out=out, resume=resume, progress=progress, on_start=on_start)
        )
    except InputError as exc:
        progress.close()
        fail(str(exc))
    except CostLimitReached as exc:
        progress.close()
        fail(f"{exc}; give the same command with a higher --max-cost to continue", code=1)
    except KeyboardInterrupt:
        progress.close()
        rid = started[0] if started else "(not started)"
        stderr.print(
            f"interrupted: run {rid} is saved in {out}; give the same command again "
            f"(or --resume {rid}) to continue where it stopped"
        )
        raise typer.Exit(130) from None
    progress.close()
    return result


def _print_result(result: RunResult) -> None:
    """Print the tables, the attack summary and the panel members' failures of a finished run."""
    from tightrope.judges.panel import panel_failure_lines
    from tightrope.metrics.helm import NAMES as HELM_SUITES
    from tightrope.report.attack_table import print_attack_summary
    from tightrope.report.helm import helm_tables, print_helm
    from tightrope.report.terminal import print_tables

    print_tables(stdout, result.tables, result.instrument)
    print_attack_summary(
        stdout,
        lambda: result.records,
        result.tables,
        result.instrument,
        scored_judges=result.scored_judges,
    )
    for line in panel_failure_lines(result.panel_verdicts()):
        stdout.print(line, highlight=False, soft_wrap=True)
    suites = {str(s.get("name")) for s in result.instrument.get("suites", [])}
    if suites & set(HELM_SUITES):
        t = result.tables[0]
        tables = helm_tables(
            result.records,
            [str(x["spec"]) for x in result.instrument.get("targets", [])],
            refusal_judge=t.refusal_judge,
            harm_judge=t.harm_judge,
        )
        stdout.print()
        print_helm(stdout, tables)
    targets = [str(x["spec"]) for x in result.instrument.get("targets", [])]
    # The choice judge is in a run exactly when its suites hold multiple-choice items.
    if any(j.get("kind") == "choice" for j in result.instrument.get("judges", [])):
        from tightrope.report.choice import choice_sections, print_choice

        stdout.print()
        print_choice(stdout, choice_sections(result.records, targets))


def _print_run_line(result: RunResult, out: Path) -> None:
    """Print the run's id, store, model calls and errors, each model's usage and cost, and the
    command that shows the run again."""
    stdout.print(
        f"\nrun [bold]{markup_safe(result.run_id)}[/bold] · store "
        f"{markup_safe(result.store_path)} · "
        f"{result.model_calls} model calls, {result.cache_hits} from cache · "
        f"{result.errors} errors ({100 * result.error_rate:.1f}%)",
        markup=True,
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


def register(app: typer.Typer) -> None:
    """Add the `run` command to the main app."""
    app.command()(run)
