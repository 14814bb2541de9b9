"""A small finished run, made once through the real CLI and copied for each test that damages it."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from hypothesis import settings

from clihelp import tightrope

RULE = "python:fake_targets:rule"


@pytest.fixture(scope="session")
def _made_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    base = tmp_path_factory.mktemp("made")
    r = tightrope(
        "run", "--judge", "refusal", "--target", RULE, "--limit", "4", "--out", "runs", cwd=base
    )
    assert r.returncode == 0, r.stderr
    run_id = next(ln.split()[1] for ln in r.stdout.splitlines() if ln.startswith("run "))
    return base / "runs", run_id


@pytest.fixture
def stored_run(_made_run: tuple[Path, str], tmp_path: Path) -> tuple[Path, str]:
    """(a copy of a finished run's store folder under tmp_path, its run id)."""
    src, run_id = _made_run
    dst = tmp_path / "runs"
    shutil.copytree(src, dst)
    return dst, run_id


# Property-based tests: bounded and derandomized (a fixed seed) so `make test` stays fast and
# repeatable. `HYPOTHESIS_PROFILE=long` runs 50x more examples by hand (docs/reliability.md).
settings.register_profile(
    "default", max_examples=25, derandomize=True, deadline=None, database=None, print_blob=True
)
settings.register_profile(
    "long", max_examples=1250, derandomize=False, deadline=None, database=None, print_blob=True
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))
