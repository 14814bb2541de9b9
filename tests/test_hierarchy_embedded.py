"""The instruction-hierarchy suites on the real embedded model (SmolLM2-135M-Instruct) with
`--limit 6`, end to end through the command line. Slow: it loads real weights."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clihelp import tightrope

pytestmark = pytest.mark.slow


@pytest.mark.parametrize(
    ("suite", "metrics"),
    [
        ("tensor-trust", ("hijacking_robustness", "defense_validity")),
        ("injection", ("injection_robustness", "task_completion")),
    ],
)
def test_a_suite_runs_on_the_embedded_model(
    suite: str, metrics: tuple[str, ...], tmp_path: Path, shared_data: Path
) -> None:
    run = tightrope(
        "run", "--suite", suite, "--target", "embedded:smollm2", "--limit", "6",
        "--max-tokens", "24", "--out", str(tmp_path), cwd=tmp_path,
        TIGHTROPE_DATA_DIR=str(shared_data),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    report = tmp_path / "report.json"
    again = tightrope(
        "report", "latest", "--out", str(tmp_path), "--json", str(report), cwd=tmp_path
    )
    assert again.returncode == 0, again.stderr
    [table] = json.loads(report.read_text())["runs"][0]["tables"]
    assert table["refusal_judge"] == "hierarchy"
    named = table["hierarchy"]
    assert set(metrics) <= set(named)
    for key in metrics:
        rate = named[key]
        # Six behaviors = three pairs: every reply was judged, none failed.
        assert rate["n"] + rate["errors"] == 3 and rate["errors"] == 0
        # (Wilson's low for k = 0 can be a rounding error above 0.)
        assert rate["low"] - 1e-12 <= rate["value"] <= rate["high"]
