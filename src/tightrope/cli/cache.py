"""`tightrope cache info|prune`: what the response cache of a store holds, and removing some of it.

The cache lives in the run store (`--out`); stored runs keep their responses when entries are
pruned, so reports are unchanged and only later runs ask the models again.
"""

from __future__ import annotations

from typing import Annotated

import typer

from tightrope.cli.common import DEFAULT_OUT, OutOption, fail, stdout

cache_app = typer.Typer(
    help="Inspect or prune the response cache of a store.", no_args_is_help=True
)


@cache_app.command("info")
def info(out: OutOption = DEFAULT_OUT) -> None:
    """Print how many answers the cache holds per model, and their ages."""
    from tightrope.errors import StoreError
    from tightrope.run.result import opened

    if not out.exists():
        fail(f"{out}: no store here; pass the folder of a run store with --out")
    try:
        with opened(out) as store:
            entries = store.cache_entries()
            path = store.path
    except StoreError as exc:
        fail(str(exc))
    total = sum(e.entries for e in entries)
    size = path.stat().st_size if path.exists() else 0
    stdout.print(
        f"cache of {path}: {total:,} answers, store file {size / 1e6:.1f} MB", highlight=False
    )
    for e in entries:
        stdout.print(
            f"  {e.target}: {e.entries:,} answers, stored {e.oldest} .. {e.newest}",
            highlight=False,
            markup=False,
        )


@cache_app.command("prune")
def prune(
    target: Annotated[
        list[str] | None,
        typer.Option("--target", "-t", help="Remove this model's answers; repeatable."),
    ] = None,
    older_than: Annotated[
        float | None,
        typer.Option(min=0.0, help="Remove answers stored more than this many days ago."),
    ] = None,
    all_entries: Annotated[bool, typer.Option("--all", help="Remove every cached answer.")] = False,
    out: OutOption = DEFAULT_OUT,
) -> None:
    """Remove cached answers (stored runs and their reports are untouched)."""
    from tightrope.errors import StoreError
    from tightrope.run.result import opened

    if not (target or older_than is not None or all_entries):
        fail("say what to prune: --target SPEC, --older-than DAYS or --all")
    if all_entries and (target or older_than is not None):
        fail("--all removes everything; give it alone, or use --target / --older-than")
    if not out.exists():
        fail(f"{out}: no store here; pass the folder of a run store with --out")
    try:
        with opened(out) as store:
            deleted = store.prune_cache(targets=tuple(target or ()), older_than_days=older_than)
    except StoreError as exc:
        fail(str(exc))
    stdout.print(f"removed {deleted:,} cached answers", highlight=False)


def register(app: typer.Typer) -> None:
    """Add the `cache` command group to the main app."""
    app.add_typer(cache_app, name="cache")
