"""The `tightrope` command: one Typer app, one module per command group.

`app.py` builds the app and registers every group; `common.py` holds what the groups share
(consoles, the one-line error exit, the default store folder). No module here is imported by
the rest of the package.
"""

from tightrope.cli.app import app, main

__all__ = ["app", "main"]
