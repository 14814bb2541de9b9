"""`tightrope judge-eval`: golden numbers of REFERENCE.md sections 1 and 3, stored-verdict replay,
user files, and the command line. Rows of the pinned data are referred to by id only."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.errors import InputError
from tightrope.judges.evaluation import evaluate
from tightrope.metrics.agreement import Agreement, cohen_kappa, kappa_interval, tally

# REFERENCE.md section 1: TP, FP, FN, TN, agree %, FPR %, FNR %, kappa.
JBB_ROWS = {
    "harmbench_cf": (96, 51, 14, 139, "78.3", "26.8", "12.7", "0.564"),
    "gpt4_cf": (100, 19, 10, 171, "90.3", "10.0", "9.1", "0.795"),
    "llamaguard2_cf": (98, 25, 12, 165, "87.7", "13.2", "10.9", "0.741"),
    "llama3_cf": (104, 22, 6, 168, "90.7", "11.6", "5.5", "0.805"),
}
STRING_ROWS = {
    "gcg-strings": (100, 122, 10, 68, "56.0", "64.2", "9.1", "0.220"),
    "jbb-strings": (105, 131, 5, 59, "54.7", "68.9", "4.5", "0.214"),
}


def check_row(
    summary: dict[str, float], expected: tuple[int, int, int, int, str, str, str, str]
) -> None:
    tp, fp, fn, tn, agree, fpr, fnr, kappa = expected
    assert (summary["tp"], summary["fp"], summary["fn"], summary["tn"]) == (tp, fp, fn, tn)
    assert summary["errors"] == 0
    assert f"{100 * summary['agreement']:.1f}" == agree
    assert f"{100 * summary['fpr']:.1f}" == fpr
    assert f"{100 * summary['fnr']:.1f}" == fnr
    assert f"{summary['kappa']:.3f}" == kappa
    lo, hi = summary["kappa_ci"]
    assert lo < summary["kappa"] < hi
    lo, hi = summary["agreement_ci"]
    assert lo < summary["agreement"] < hi


@pytest.mark.parametrize("column", sorted(JBB_ROWS))
def test_replaying_stored_jbb_verdicts_reproduces_reference(shared_data: Path, column: str) -> None:
    report = evaluate(column, "jbb", data_dir=str(shared_data), stored_column=column, n_boot=200)
    assert (report["rows"], report["side"], report["truth"]) == (300, "harm", "human_majority")
    check_row(report["overall"], JBB_ROWS[column])


@pytest.mark.parametrize("judge", sorted(STRING_ROWS))
def test_string_judges_reproduce_reference(shared_data: Path, judge: str) -> None:
    report = evaluate(judge, "jbb", data_dir=str(shared_data), n_boot=200)
    check_row(report["overall"], STRING_ROWS[judge])


def test_panel_of_string_judges(shared_data: Path) -> None:
    report = evaluate(
        "gcg-strings,jbb-strings,xstest-strings", "jbb", data_dir=str(shared_data), n_boot=50
    )
    assert report["judge"] == "panel:gcg-strings+jbb-strings+xstest-strings:majority"
    o = report["overall"]
    assert (o["tp"], o["fp"], o["fn"], o["tn"], o["errors"]) == (105, 131, 5, 59, 0)
    both = evaluate(
        "gcg-strings,xstest-strings", "jbb", data_dir=str(shared_data), combine="all", n_boot=50
    )
    # "all" on a refusal panel: refused only if both refused, so "compliance" (unsafe) if either
    # found no refusal string: at least as many predicted unsafe as either member alone.
    assert both["overall"]["tp"] + both["overall"]["fp"] >= 108 + 134


def test_xstest_string_matcher_per_model(shared_data: Path) -> None:
    report = evaluate("xstest-strings", "xstest", data_dir=str(shared_data), by="model", n_boot=50)
    agree = {g: f"{100 * s['agreement']:.1f}" for g, s in report["groups"].items()}
    assert agree == {"gpt4": "93.6", "llama2orig": "89.3", "mistralinstruct": "86.0"}
    stored = evaluate(
        "x", "xstest", data_dir=str(shared_data), stored_column="strmatch_label", n_boot=50
    )
    assert stored["overall"] == report["overall"], "the judge reproduces its stored column"
    assert len(report["groups"]) == 3
    by_type = evaluate("xstest-strings", "xstest", data_dir=str(shared_data), n_boot=50)
    assert len(by_type["groups"]) == 18 and sum(g["n"] for g in by_type["groups"].values()) == 1350


def test_free_text_stored_labels_are_errors_not_verdicts(shared_data: Path) -> None:
    report = evaluate(
        "gpt4",
        "xstest",
        data_dir=str(shared_data),
        stored_column="gpt4_label",
        by="model",
        n_boot=50,
    )
    # Some GPT-4 grader outputs are free text (the grader refused): errors, left out of n.
    assert report["groups"]["mistralinstruct"]["errors"] > 0
    assert report["overall"]["n"] + report["overall"]["errors"] == 1350
    assert report["three_class"]["compared"] == report["overall"]["n"]


def test_harm_judge_against_refusal_set_is_refused(shared_data: Path) -> None:
    with pytest.raises(InputError, match="harm judge"):
        evaluate(
            "harmbench-chat",
            "xstest",
            data_dir=str(shared_data),
            judge_model="python:fake_targets:rule",
        )


def test_missing_data_dir_and_column(monkeypatch: pytest.MonkeyPatch, shared_data: Path) -> None:
    monkeypatch.delenv("TIGHTROPE_DATA_DIR", raising=False)
    with pytest.raises(InputError, match="--data-dir"):
        evaluate("refusal", "jbb")
    with pytest.raises(InputError, match="'nope' is not in jbb"):
        evaluate("x", "jbb", data_dir=str(shared_data), stored_column="nope")
    with pytest.raises(InputError, match="use jbb, xstest"):
        evaluate("refusal", "no-such-file.csv")


def test_user_file_generic_layout(tmp_path: Path) -> None:
    path = tmp_path / "mine.csv"
    rows = [
        ("1", "q1", "I can't help with that.", "refusal", "a"),
        ("2", "q2", "Sure, here is the answer.", "compliance", "a"),
        ("3", "q3", "I'm sorry, but no.", "partial", "b"),
        ("4", "q4", "Here you go: step 1 ...", "refusal", "b"),
    ]
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "prompt", "response", "label", "category"])
        w.writerows(rows)
    report = evaluate("refusal", str(path), n_boot=50)
    assert report["side"] == "refusal"
    o = report["overall"]
    assert (o["tp"], o["fp"], o["fn"], o["tn"]) == (2, 0, 1, 1)
    assert set(report["groups"]) == {"a", "b"}


def test_agreement_helpers() -> None:
    assert cohen_kappa(20, 5, 10, 15) == pytest.approx(0.4)  # textbook table
    assert math.isnan(cohen_kappa(5, 0, 0, 0))
    table = tally([(True, True), (True, None), (False, True), (False, False)])
    assert table == Agreement(tp=1, fp=1, fn=0, tn=1, errors=1)
    lo, hi = kappa_interval(40, 10, 10, 40, n_boot=500)
    assert lo < cohen_kappa(40, 10, 10, 40) < hi
    assert kappa_interval(40, 10, 10, 40, n_boot=500) == (lo, hi), "fixed seed"


def test_cli_judge_eval(shared_data: Path, tmp_path: Path) -> None:
    proc = tightrope(
        "judge-eval",
        "llama3",
        "--against",
        "jbb",
        "--stored-column",
        "llama3_cf",
        cwd=tmp_path,
        TIGHTROPE_DATA_DIR=str(shared_data),
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "TP 104" in out and "FP 22" in out and "FN 6" in out and "TN 168" in out
    assert "agreement 90.7%" in out and "FPR 11.6%" in out and "FNR 5.5%" in out
    assert "Cohen κ 0.805" in out
    proc = tightrope(
        "judge-eval",
        "jbb-strings",
        "--against",
        "jbb",
        "--json",
        "--data-dir",
        str(shared_data),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["overall"]["tp"] == 105
    bad = tightrope(
        "judge-eval", "refusal", "--against", "jbb", cwd=tmp_path, TIGHTROPE_DATA_DIR=""
    )
    assert bad.returncode == 2 and "--data-dir" in bad.stderr
