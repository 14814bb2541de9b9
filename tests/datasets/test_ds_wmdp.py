"""WMDP on self-made files in its upstream format (Parquet test splits): the loader, the
multiple-choice accuracy with its chance line, and a policy reading `wmdp-bio.accuracy`."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from clihelp import tightrope
from tightrope.datasets import load_suite
from tightrope.errors import InputError
from tightrope.metrics import wilson_interval

# answers per subject: the index of the correct option of each self-made question
ANSWERS = {"bio": [0, 0, 1, 0, 2, 0], "chem": [3, 0, 1], "cyber": [0, 1, 2, 3]}


def _write(folder: Path, subject: str, rows: list[dict[str, object]]) -> None:
    path = folder / "wmdp" / f"wmdp-{subject}" / "test-00000-of-00001.parquet"
    path.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(pa.Table.from_pylist(rows), path)


def _rows(subject: str) -> list[dict[str, object]]:
    return [
        {
            "question": f"Placeholder {subject} question {i}: which option is marked right?",
            "choices": [f"option {c} of question {i}" for c in "wxyz"],
            "answer": a,
        }
        for i, a in enumerate(ANSWERS[subject])
    ]


@pytest.fixture
def mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "data"
    for subject in ANSWERS:
        _write(folder, subject, _rows(subject))
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(folder))
    return folder


def test_the_three_subjects_load_as_four_option_items(mirror: Path) -> None:
    suite = load_suite("wmdp")
    assert len(suite.behaviors) == sum(len(a) for a in ANSWERS.values())
    by_subject = {s: [b for b in suite.behaviors if b.meta["subject"] == s] for s in ANSWERS}
    assert [b.answer for b in by_subject["bio"]] == ANSWERS["bio"]
    assert {b.category for b in by_subject["bio"] + by_subject["chem"]} == {"S9"}
    assert {b.category for b in by_subject["cyber"]} == {"S2"}
    first = by_subject["bio"][0]
    assert first.side == "choice" and first.choices is not None and len(first.choices) == 4
    assert first.source.startswith("wmdp-bio@main+") and suite.version.startswith("main+")
    assert [b.meta["subject"] for b in load_suite("wmdp:chem,bio").behaviors] == ["chem"] * 3 + [
        "bio"
    ] * 6


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ({"question": "q", "choices": ["a", "b"], "answer": 2}, "'answer': 2 is not the index"),
        ({"question": "q", "choices": ["a"], "answer": 0}, "'choices': not a list of two"),
        ({"question": " ", "choices": ["a", "b"], "answer": 0}, "'question': empty question"),
    ],
)
def test_a_bad_row_names_the_file_row_and_column(
    mirror: Path, row: dict[str, object], says: str
) -> None:
    _write(mirror, "chem", [_rows("chem")[0], row])
    with pytest.raises(InputError) as err:
        load_suite("wmdp:chem")
    assert (
        "wmdp-chem" in str(err.value)
        and "row 2: column " in str(err.value)
        and says in str(err.value)
    )


def test_an_unknown_subject_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown WMDP subject 'physics'"):
        load_suite("wmdp:physics")


def test_a_run_reports_accuracy_against_chance_and_a_policy_reads_it(
    mirror: Path, tmp_path: Path
) -> None:
    out = tmp_path / "runs"
    run = tightrope(
        "run", "--target", "python:fake_targets:always_a", "--suite", "wmdp", "--judge",
        "refusal", "--out", str(out), cwd=tmp_path, TIGHTROPE_DATA_DIR=str(mirror),
    )  # fmt: skip
    assert run.returncode == 0, run.stderr
    said = " ".join(run.stdout.split())
    assert "Multiple choice" in said and "chance" in said
    # Always "A": accuracy = the share of questions whose answer is option 0.
    for subject, answers in ANSWERS.items():
        k, n = answers.count(0), len(answers)
        low, high = wilson_interval(k, n)
        row = f"wmdp-{subject} accuracy {100 * k / n:.1f}% [{100 * low:.1f}, {100 * high:.1f}]"
        assert f"{row} 25.0% {n} 0" in said
    report = tmp_path / "r.json"
    made = tightrope("report", "latest", "--json", str(report), "--out", str(out), cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    [section] = json.loads(report.read_text())["runs"][0]["multiple_choice"]
    bio = next(s for s in section["suites"] if s["suite"] == "wmdp-bio")
    assert (bio["accuracy"]["k"], bio["accuracy"]["n"], bio["chance"]) == (4, 6, 0.25)
    policy = tmp_path / "p.yaml"
    policy.write_text(
        "name: wmdp levels\nlevels:\n  - level: L2\n  - level: L3\n    when:\n"
        "      - metric: wmdp-bio.accuracy\n        above: 0.5\n",
        encoding="utf-8",
    )
    gate = tightrope(
        "gate", "latest", "--policy", str(policy), "--out", str(out), "--json",
        str(tmp_path / "g.json"), cwd=tmp_path,
    )  # fmt: skip
    assert gate.returncode == 0, gate.stderr
    [target] = json.loads((tmp_path / "g.json").read_text())["targets"]
    assert target["level"] == "L3" and target["trigger"]["metric"] == "wmdp-bio.accuracy"
