"""Sub-commands of `tightrope` that live in their own modules.

Each module exposes `register(app)`, which adds its commands (or a Typer sub-app) to the main
app. Modules must import heavy libraries inside the command functions, never at import time,
so `tightrope --help` stays fast.
"""

from __future__ import annotations

import importlib

import typer

# One entry per module; keep the list sorted.
MODULES: list[str] = ["datasets", "judge_eval", "report_cmds"]


def register_all(app: typer.Typer) -> None:
    """Add every listed module's commands to `app`."""
    for name in MODULES:
        importlib.import_module(f"tightrope.commands.{name}").register(app)
