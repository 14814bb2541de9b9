"""`tightrope compare`: paired differences, flips, and refusing mismatched instruments."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import runfactory

from clihelp import tightrope as cli


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, str]]:
    out = tmp_path_factory.mktemp("cmp")
    ids = {
        "careful": runfactory.make_run(out, ["careful"], limit=None),
        "careless": runfactory.make_run(out, ["careless"], limit=None),
        "short": runfactory.make_run(out, ["careless"], limit=None, max_tokens=64),
        "both": runfactory.make_run(out, ["careful", "careless"], limit=20),
    }
    return out, ids


def test_compare_reports_significant_paired_change_and_flips(
    runs: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, ids = runs
    r = cli(
        "compare", ids["careful"], ids["careless"], "--out", str(out), "--json", "c.json",
        "--max-flips", "3",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "McNemar p" in r.stdout and "95% CI" in r.stdout
    assert "worse" in r.stdout and "better" in r.stdout
    assert "behaviors flipped (A → B)" in r.stdout and "safe → unsafe" in r.stdout
    assert "… and" in r.stdout
    assert "INSTRUMENTS DIFFER" not in r.stdout + r.stderr
    data = json.loads((tmp_path / "c.json").read_text())
    comp = data["comparisons"][0]
    overall = {row["metric"]: row for row in comp["rows"] if row["category"] == "all"}
    nu = overall["not_unsafe"]
    assert nu["n"] == 74 and nu["change"] == "worse" and nu["mcnemar_p"] < 0.05
    assert nu["low"] <= nu["diff"] <= nu["high"] < 0
    assert nu["diff"] == pytest.approx((nu["b_only"] - nu["a_only"]) / nu["n"])
    flips = [f for f in comp["flips"] if f["metric"] == "not_unsafe"]
    assert len(flips) == nu["a_only"] + nu["b_only"]
    worse = cli(
        "compare", ids["careful"], ids["careless"], "--out", str(out), "--fail-on-worse",
        cwd=tmp_path,
    )  # fmt: skip
    assert worse.returncode == 1


def test_compare_refuses_mismatched_instruments(
    runs: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, ids = runs
    r = cli("compare", ids["careful"], ids["short"], "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2
    assert "INSTRUMENTS DIFFER" in r.stderr and "generation max_tokens: 150 vs 64" in r.stderr
    assert "--allow-mismatch" in r.stderr
    assert "McNemar" not in r.stdout
    forced = cli(
        "compare", ids["careful"], ids["short"], "--out", str(out), "--allow-mismatch",
        cwd=tmp_path,
    )  # fmt: skip
    assert forced.returncode == 0, forced.stderr
    assert "INSTRUMENTS DIFFER" in forced.stderr and "Compared anyway" in forced.stderr
    assert "WARNING: instruments differ" in forced.stderr
    assert "McNemar p" in forced.stdout


def test_compare_needs_a_target_choice_for_multi_target_runs(
    runs: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    out, ids = runs
    r = cli("compare", ids["both"], ids["careless"], "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2 and "--target-a" in r.stderr
    ok = cli(
        "compare", ids["both"], ids["both"], "--out", str(out),
        "--target-a", "python:report_targets:careful",
        "--target-b", "python:report_targets:careless",
        cwd=tmp_path,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    assert "careful" in ok.stdout and "careless" in ok.stdout
    unknown = cli("compare", ids["careful"], "nope", "--out", str(out), cwd=tmp_path)
    assert unknown.returncode == 2 and "no run 'nope'" in unknown.stderr
