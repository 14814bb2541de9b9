"""The `tightrope` app: its `--version` option and the registration of every command group.

Each group lives in its own module with a `register(app)`; the modules import heavy libraries
(torch, transformers, the report models) inside their command functions, so `tightrope --help`
stays fast.

Exit codes: 0 success; 1 a command finished but failed a check (run --max-error-rate, gate,
compare --fail-on-worse); 2 bad input (one-line error naming what to fix); 3 a run is stored but
logging it to a --log-to tracker failed; 130 interrupted (a run is saved and resumes).
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from tightrope._version import __version__
from tightrope.cli import cache, datasets, judge_eval, reports, sweep
from tightrope.cli import run as run_group
from tightrope.cli.common import LogLevelOption, configure_logging, stderr, stdout
from tightrope.errors import InputError

app = typer.Typer(
    name="tightrope",
    help="Evaluate LLM safety on both sides: harmful compliance and over-refusal, with 95% CIs.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        stdout.print(f"tightrope {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
    log_level: LogLevelOption = None,
) -> None:
    """tightrope: does the model help with harmful requests, and refuse harmless ones?"""
    configure_logging(log_level)


# In the order `tightrope --help` lists them.
GROUPS = (run_group, sweep, reports, judge_eval, datasets, cache)
for _group in GROUPS:
    _group.register(app)


def main() -> None:
    """Entry point of the `tightrope` script."""
    try:
        app()
    except InputError as exc:  # pragma: no cover - commands catch their own
        stderr.print(f"error: {exc}")
        sys.exit(2)
