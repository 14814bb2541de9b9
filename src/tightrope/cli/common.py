"""What every command group shares: the consoles, the one error exit, the default store folder.

Command modules import from here and never from each other or from `app.py`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.text import Text

from tightrope.run.defaults import DEFAULT_OUT as RUN_DEFAULT_OUT
from tightrope.textsafe import markup_safe, one_line, printable

if TYPE_CHECKING:
    from tightrope.metrics.rates import MetricsTable

DEFAULT_OUT = Path(RUN_DEFAULT_OUT)
# `--out` is the run store in every command; `--log-dir` is Inspect's name for it.
OutOption = Annotated[
    Path, typer.Option("--out", "--log-dir", help="Folder of the run store (Inspect: --log-dir).")
]


__all__ = [
    "DEFAULT_OUT",
    "OutOption",
    "console",
    "fail",
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
