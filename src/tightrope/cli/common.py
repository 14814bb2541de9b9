"""What every command group shares: the consoles, the one error exit, the default store folder.

Command modules import from here and never from each other or from `app.py`.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from tightrope.errors import InputError
from tightrope.run.defaults import DEFAULT_OUT as RUN_DEFAULT_OUT
from tightrope.textsafe import markup_safe, one_line, printable

if TYPE_CHECKING:
    from tightrope.metrics.rates import MetricsTable
    from tightrope.tracking import Tracker

DEFAULT_OUT = Path(RUN_DEFAULT_OUT)
# `--out` is the run store in every command; `--log-dir` is Inspect's name for it.
OutOption = Annotated[
    Path, typer.Option("--out", "--log-dir", help="Folder of the run store (Inspect: --log-dir).")
]
# `--log-to` (repeatable): experiment trackers a run is logged to (tightrope.tracking).
LogToOption = Annotated[
    list[str] | None,
    typer.Option(
        "--log-to",
        help="Log the run to an experiment tracker, repeatable: mlflow[:TRACKING_URI] or "
        "wandb[:PROJECT] (pip install 'tightrope[mlflow]' / 'tightrope[wandb]').",
    ),
]
LOG_LEVELS = ("debug", "info", "warning", "error")
LogLevelOption = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        help="Messages of tightrope's own loggers to show on stderr: debug, info, warning "
        "(default) or error.",
    ),
]
# Exit code of a command whose run is stored but could not be logged to a tracker.
TRACKING_FAILED = 3


__all__ = [
    "DEFAULT_OUT",
    "LOG_LEVELS",
    "TRACKING_FAILED",
    "LogLevelOption",
    "LogToOption",
    "OutOption",
    "configure_logging",
    "console",
    "fail",
    "log_to_trackers",
    "markup_safe",
    "print_corrected",
    "printable",
]


class SafeConsole(Console):
    """A console that prints strings literally: no markup, no emoji codes, no raw control
    characters (`tightrope.textsafe`).

    A line that wants markup passes `markup=True` and escapes what it did not write with
    `markup_safe`.
    """

    def render_str(self, text: str, **kwargs: Any) -> Text:
        """Render `text` with its control characters made visible."""
        return super().render_str(printable(text), **kwargs)


def console(*, stderr: bool = False, piped_width: int = 120) -> Console:
    """Return a console; piped output (CI logs, files) gets `piped_width` columns, so a table
    fits whole instead of in rich's 80, unless COLUMNS says otherwise."""
    stream = sys.stderr if stderr else sys.stdout
    width = None if stream.isatty() or "COLUMNS" in os.environ else piped_width
    return SafeConsole(stderr=stderr, width=width, markup=False, emoji=False)


stdout = console()
stderr = console(stderr=True)


def fail(message: str, code: int = 2) -> NoReturn:
    """Print `error: MESSAGE` on stderr and exit with `code` (2: bad input; 1: a failed check).

    The message is printed literally: a `[` in a path or a model's text is not rich markup.
    """
    stderr.print(
        f"[red]error:[/red] {markup_safe(one_line(message))}",
        markup=True,
        highlight=False,
        soft_wrap=True,
    )
    raise typer.Exit(code)


def print_corrected(tables: Sequence[MetricsTable], instrument: Mapping[str, Any]) -> None:
    """Print `--correct`'s lines: each headline rate corrected with its judge's card, or why
    none is (one line, exit 2, when a card file is not a valid card)."""
    from tightrope.errors import InputError
    from tightrope.judges.card import load_cards
    from tightrope.report.corrected import correction_lines

    try:
        cards = load_cards()
    except InputError as exc:
        fail(str(exc))
    stdout.print()
    for line in correction_lines(tables, instrument, cards):
        stdout.print(line, highlight=False, soft_wrap=True)


_handler: logging.Handler | None = None


def configure_logging(level: str | None) -> None:
    """Show tightrope's own log messages at `level` and above on stderr (`--log-level`).

    Only the `tightrope` logger is configured (its level and one stderr handler, added once);
    the root logger and other libraries' loggers are left as they are. None leaves everything
    unchanged (Python's default shows warnings). A bad level exits 2 with one line.
    """
    global _handler
    if level is None:
        return
    name = level.strip().lower()
    if name not in LOG_LEVELS:
        fail(f"--log-level {level!r}: use one of {', '.join(LOG_LEVELS)}")
    logger = logging.getLogger("tightrope")
    logger.setLevel(name.upper())
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        logger.addHandler(_handler)
        logger.propagate = False


def checked_trackers(specs: list[str] | None) -> list[Tracker]:
    """Return the trackers of `--log-to` with their SDKs checked; exit 2 with one line (how to
    install the SDK, the valid names) on bad input. Imports nothing when none is asked for."""
    if not specs:
        return []
    from tightrope.tracking import checked_trackers as check

    try:
        return check(specs)
    except InputError as exc:
        fail(str(exc))


def log_to_trackers(trackers: list[Tracker], out: Path, run_id: str) -> bool:
    """Log the stored run to each tracker; print one line per tracker (where it went, or why
    not with the command that logs it again). Return True when every tracker succeeded."""
    if not trackers:
        return True
    from tightrope.tracking import Logged, log_run

    try:
        outcomes = log_run(trackers, out, run_id)
    except Exception as exc:  # the payload could not be built: every tracker failed
        why = f"{type(exc).__name__}: {one_line(str(exc))}"
        outcomes = [Logged(t.spec, False, why) for t in trackers]
    for o in outcomes:
        if o.ok:
            stdout.print(f"logged to {o.detail}", highlight=False, soft_wrap=True)
        else:
            stderr.print(
                f"[red]error:[/red] logging to {markup_safe(o.tracker)} failed: "
                f"{markup_safe(o.detail)}; the run is stored: log it again with "
                f"tightrope report {markup_safe(run_id)} --out {markup_safe(str(out))} "
                f"--log-to {markup_safe(o.tracker)}",
                markup=True,
                highlight=False,
                soft_wrap=True,
            )
    return all(o.ok for o in outcomes)
