"""`tightrope datasets list|fetch`: what suites exist, and downloading them ahead of time."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tightrope.errors import InputError

app = typer.Typer(
    name="datasets",
    help="List the benchmark suites, or download them ahead of time.",
    no_args_is_help=True,
)

_width = None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160
stdout = Console(width=_width)
stderr = Console(stderr=True, width=_width)


@app.command("list")
def list_datasets() -> None:
    """Show every suite: rows, license, citation, and whether it is available offline."""
    from tightrope.datasets.catalog import catalog
    from tightrope.datasets.remote import cache_dir, data_dir

    table = Table(show_lines=False, pad_edge=False)
    for column in ("suite", "rows", "license", "local", "citation"):
        table.add_column(column, overflow="fold")
    for entry in catalog():
        name = entry.name
        if entry.args:
            name += f":{entry.args}" if entry.name == "file" else f"[:{entry.args}]"
        table.add_row(name, entry.rows, entry.license, entry.status, entry.citation)
    stdout.print(table)
    mirror = data_dir()
    where = f"TIGHTROPE_DATA_DIR {mirror}" if mirror is not None else f"cache {cache_dir()}"
    stdout.print(f"data files: {where}", highlight=False)
    stdout.print(
        "harmbench leaves out its 100 copyright behaviors unless given harmbench:SPLIT,copyright "
        "(they need a hash-based judge); specs and categories: docs/datasets.md",
        highlight=False,
    )


@app.command("fetch")
def fetch(
    names: Annotated[
        list[str] | None, typer.Argument(help="Suites to download (default: all public ones).")
    ] = None,
) -> None:
    """Download suites' data files once into the cache and verify their SHA-256."""
    from tightrope.datasets import dataset_info, sources
    from tightrope.datasets.remote import fetch as fetch_file

    try:
        chosen = names or sorted({f.dataset for f in sources.ALL_FILES})
        files = []
        for name in chosen:
            keys = dataset_info(name).files
            if not keys:
                raise InputError(f"suite {name!r} has no public files to fetch")
            files += [f for key in keys for f in sources.files_of(key) if f not in files]
        for f in files:
            path = fetch_file(f)
            stdout.print(f"ok  {f.dataset:<18} {path}", highlight=False)
    except InputError as exc:
        stderr.print(f"[red]error:[/red] {escape(str(exc))}", highlight=False, soft_wrap=True)
        raise typer.Exit(2) from None


def register(main: typer.Typer) -> None:
    """Add the `datasets` sub-app to the main `tightrope` app."""
    main.add_typer(app, name="datasets")
