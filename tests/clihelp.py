"""Run the real `tightrope` command in a subprocess, as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent


def cli_env(**extra: str) -> dict[str, str]:
    """Return an environment where `python:fake_targets:*` targets import."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join([str(TESTS), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    env["COLUMNS"] = "140"
    env.update(extra)
    return env


def tightrope(*args: str, cwd: Path, **extra: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m tightrope ARGS` and return the finished process."""
    return subprocess.run(
        [sys.executable, "-m", "tightrope", *args],
        cwd=cwd,
        env=cli_env(**extra),
        capture_output=True,
        text=True,
        timeout=600,
    )
