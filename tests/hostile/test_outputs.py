"""Output paths: a report or export never overwrites the run store it reads."""

from __future__ import annotations

import hashlib
import subprocess
from pathlib import Path

import pytest

from clihelp import tightrope


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize(
    "args",
    [
        ("export", "latest", "--format", "jsonl", "--file"),
        ("export", "latest", "--format", "jbb", "--file"),
        ("report", "latest", "--html"),
        ("report", "latest", "--md"),
        ("report", "latest", "--json"),
    ],
)
def test_writing_over_the_store_is_refused(
    stored_run: tuple[Path, str], args: tuple[str, ...]
) -> None:
    runs, _ = stored_run
    db = runs / "tightrope.db"
    before = _digest(db)
    line = _one_line_error(tightrope(*args, str(db), "--out", str(runs), cwd=runs.parent))
    assert "tightrope.db" in line and "run store" in line
    assert _digest(db) == before
    listing = tightrope("runs", "--out", str(runs), cwd=runs.parent)
    assert listing.returncode == 0 and "finished" in listing.stdout


def test_compare_and_gate_json_over_the_store_are_refused(stored_run: tuple[Path, str]) -> None:
    runs, run_id = stored_run
    db = runs / "tightrope.db"
    before = _digest(db)
    r = tightrope("compare", run_id, run_id, "--json", str(db), "--out", str(runs), cwd=runs.parent)
    assert "run store" in _one_line_error(r)
    policy = runs.parent / "policy.yaml"
    policy.write_text("rules:\n  - metric: not_overrefuse\n    min: 0.0\n", encoding="utf-8")
    r = tightrope(
        "gate",
        run_id,
        "--policy",
        str(policy),
        "--json",
        str(db),
        "--out",
        str(runs),
        cwd=runs.parent,
    )
    assert "run store" in _one_line_error(r)
    assert _digest(db) == before
