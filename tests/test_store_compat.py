"""A run made by an earlier tightrope resumes and reports the same with this one.

`fixtures/store_v0_1_0/tightrope.db` was written by tightrope 0.1.0 before the engine was
reshaped into packages (`tightrope run --target python:fake_targets:rule --judge refusal
--limit 6 --attack base64`), then damaged as a kill would leave it: the run marked running, four
responses gone, two of them still in the response cache. `tables.json` holds that run's tables
as 0.1.0 reported them before the damage. Giving the same command again must find the run by its
fingerprint, answer two attempts from the cache and two from the model, and report the same;
given once more, it must find every answer in the old cache under this version's keys.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from clihelp import tightrope

FIXTURE = Path(__file__).parent / "fixtures" / "store_v0_1_0"


def _one_line(text: str) -> str:
    """Return `text` with its whitespace runs as single spaces (the terminal wraps long lines)."""
    return " ".join(text.split())


def test_a_run_of_0_1_0_resumes_and_reports_the_same(tmp_path: Path) -> None:
    shutil.copy(FIXTURE / "tightrope.db", tmp_path / "tightrope.db")
    expected = json.loads((FIXTURE / "tables.json").read_text())
    run_id = expected["run_id"]
    args = ["--target", "python:fake_targets:rule", "--judge", "refusal", "--limit", "6"]
    proc = tightrope("run", *args, "--attack", "base64", "--out", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert f"resuming run {run_id}" in proc.stderr
    assert "2 model calls, 2 from cache" in _one_line(proc.stdout)
    report = tmp_path / "report.json"
    proc = tightrope("report", run_id, "--out", str(tmp_path), "--json", str(report), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    (run,) = json.loads(report.read_text())["runs"]
    assert run["status"] == "finished"
    assert run["tables"] == expected["tables"]
    # Given again, a new run is planned with this version's cache keys: the old cache answers all.
    proc = tightrope("run", *args, "--attack", "base64", "--out", str(tmp_path), cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "starting run" in proc.stderr
    assert "0 model calls, 12 from cache" in _one_line(proc.stdout)
