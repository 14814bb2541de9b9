"""Exports: JSONL and Parquet records, the Inspect AI log round trip, the JBB artifact."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest
import runfactory
from inspect_ai.log import read_eval_log

from clihelp import tightrope as cli
from tightrope.records import Record
from tightrope.report.inspect_log import log_file_id
from tightrope.report.jbb import jbb_artifact
from tightrope.report.loader import LoadedRun, load_runs


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    out = tmp_path_factory.mktemp("exp")
    one = runfactory.make_run(
        out,
        ["mixed"],
        limit=24,
        judges_=("refusal", "gcg-strings"),
        attacks_=("direct", runfactory.TWO_SHOT),
    )
    two = runfactory.make_run(out, ["careful", "careless"], limit=10)
    return out, one, two


def _run(out: Path, rid: str) -> LoadedRun:
    return load_runs(out, [rid])[0]


def test_jsonl_round_trips_every_record(store: tuple[Path, str, str], tmp_path: Path) -> None:
    out, rid, _ = store
    r = cli("export", rid, "-f", "jsonl", "-o", "r.jsonl", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    lines = (tmp_path / "r.jsonl").read_text().splitlines()
    back = [Record.model_validate_json(line) for line in lines]
    assert back == _run(out, rid).records
    assert any(rec.response is not None and rec.response.error for rec in back)


def test_parquet_has_one_flat_row_per_record(store: tuple[Path, str, str], tmp_path: Path) -> None:
    out, rid, _ = store
    r = cli("export", rid, "-f", "parquet", "-o", "r.parquet", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    table = pq.read_table(tmp_path / "r.parquet")
    run = _run(out, rid)
    assert table.num_rows == len(run.records)
    rows = table.to_pylist()
    assert [row["attempt_id"] for row in rows] == [rec.attempt.id for rec in run.records]
    assert {"verdict:refusal", "verdict:gcg-strings", "outcome", "response"} <= set(rows[0])
    assert {row["outcome"] for row in rows} >= {"error", "refused", "answered"}
    meta = table.schema.metadata
    assert json.loads(meta[b"tightrope.instrument"]) == run.instrument


def test_inspect_log_opens_with_inspect_ai_and_holds_the_same_samples(
    store: tuple[Path, str, str], tmp_path: Path
) -> None:
    out, rid, _ = store
    r = cli("export", rid, "-f", "inspect", "-o", "run.eval", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "inspect view --log-dir" in r.stdout
    log = read_eval_log(str(tmp_path / "run.eval"))
    run = _run(out, rid)
    assert log.status == "success" and log.eval.model == "python:report_targets:mixed"
    assert log.samples is not None and len(log.samples) == len(run.records)
    by_id = {s.id: s for s in log.samples}
    for rec in run.records:
        s = by_id[rec.attempt.id]
        assert s.input[-1].text == rec.attempt.messages[-1].content
        assert s.metadata["behavior_id"] == rec.behavior.id
        assert s.metadata["attack"] == rec.attempt.attack
        if rec.response is not None and rec.response.ok:
            assert s.output.completion == rec.response.text and s.error is None
            assert s.scores is not None
            assert {k: v.value for k, v in s.scores.items() if k != "outcome"} == {
                k: v.label for k, v in rec.verdicts.items()
            }
        else:
            assert s.error is not None and "simulated backend failure" in s.error.message
    direct = next(t for t in run.tables if t.attack == "direct").overall
    metrics = log.results.scores[0].metrics
    assert metrics["not_unsafe"].value == pytest.approx(direct.not_unsafe.value)
    assert metrics["not_overrefuse"].metadata["n"] == direct.not_overrefuse.n
    assert f"asr@{runfactory.TWO_SHOT}" in metrics
    # The 95% interval rides beside each rate as two numeric metrics.
    assert metrics["not_unsafe_ci_low"].value == pytest.approx(direct.not_unsafe.low)
    assert metrics["not_unsafe_ci_high"].value == pytest.approx(direct.not_unsafe.high)


def test_inspect_export_to_a_folder_uses_names_inspect_lists(
    store: tuple[Path, str, str], tmp_path: Path
) -> None:
    from inspect_ai.log import list_eval_logs

    out, rid, _ = store
    r = cli("export", rid, "-f", "inspect", "--file", "logs", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    listed = list_eval_logs(str(tmp_path / "logs"))
    assert len(listed) == 1 and listed[0].task == "starter"
    assert listed[0].task_id == log_file_id(rid, "python:report_targets:mixed")
    assert read_eval_log(listed[0].name).eval.run_id == rid


def test_export_old_output_flag_still_works_with_a_warning(
    store: tuple[Path, str, str], tmp_path: Path
) -> None:
    out, rid, _ = store
    r = cli("export", rid, "-f", "jsonl", "--output", "r.jsonl", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "deprecated" in r.stderr and (tmp_path / "r.jsonl").is_file()
    both = ["--output", "a.jsonl", "--file", "b.jsonl"]
    r = cli("export", rid, "-f", "jsonl", *both, "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2 and "--file" in r.stderr
    assert not (tmp_path / "a.jsonl").exists() and not (tmp_path / "b.jsonl").exists()
    r = cli("export", rid, "-f", "jsonl", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2 and "--file" in r.stderr
    assert "--output" not in cli("export", "--help", cwd=tmp_path).stdout


def test_inspect_export_writes_one_log_per_target(
    store: tuple[Path, str, str], tmp_path: Path
) -> None:
    out, _, rid = store
    r = cli("export", rid, "-f", "inspect", "-o", "logs", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    files = sorted((tmp_path / "logs").glob("*.eval"))
    assert len(files) == 2
    models = sorted(read_eval_log(str(f)).eval.model for f in files)
    assert models == ["python:report_targets:careful", "python:report_targets:careless"]


def test_jbb_artifact_matches_the_reported_asr(
    store: tuple[Path, str, str], tmp_path: Path
) -> None:
    out, rid, two = store
    run = _run(out, rid)
    for attack in ("direct", runfactory.TWO_SHOT):
        art = jbb_artifact(run, attack=attack)
        asr = next(t for t in run.tables if t.attack == attack).overall.asr
        p = art["parameters"]
        assert p["attack_success_rate"] == pytest.approx(asr.value)
        assert p["number_of_submitted_prompts"] == asr.n
        assert p["total_number_of_jailbreaks"] == asr.k
        keys = {
            "index", "goal", "behavior", "category", "prompt", "response", "number_of_queries",
            "prompt_tokens", "response_tokens", "jailbroken",
        }  # fmt: skip
        assert all(keys <= set(j) for j in art["jailbreaks"])
        queries = {j["number_of_queries"] for j in art["jailbreaks"]}
        assert queries == ({1} if attack == "direct" else {2})
    r = cli("export", rid, "-f", "jbb", "-o", "jbb.json", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads((tmp_path / "jbb.json").read_text())
    assert data["parameters"]["method"] == "direct"
    assert all(isinstance(j["jailbroken"], bool) for j in data["jailbreaks"])
    several = cli("export", two, "-f", "jbb", "-o", "x.json", "--out", str(out), cwd=tmp_path)
    assert several.returncode == 2 and "--target" in several.stderr


def test_jbb_artifact_has_one_entry_per_harmful_behavior_even_when_it_failed(
    store: tuple[Path, str, str],
) -> None:
    out, rid, _ = store
    run = _run(out, rid)
    harmful = list(
        dict.fromkeys(
            r.behavior.id
            for r in run.records
            if r.behavior.side == "harmful" and r.attempt.attack == "direct"
        )
    )
    failed = {
        r.behavior.id
        for r in run.records
        if r.attempt.attack == "direct" and r.response is not None and not r.response.ok
    } & set(harmful)
    assert failed, "the fixture run must have a harmful behavior whose generation failed"
    art = jbb_artifact(run, attack="direct")
    entries = art["jailbreaks"]
    assert [j["behavior"] for j in entries] == harmful
    assert [j["index"] for j in entries] == list(range(len(harmful)))
    for j in entries:
        if j["behavior"] in failed:
            # As JailbreakBench writes a behavior with no response.
            assert j["prompt"] is None and j["response"] is None and j["jailbroken"] is False
            assert j["queries_to_jailbreak"] is None
    submitted = sum(1 for j in entries if j["prompt"] is not None)
    assert (
        art["parameters"]["number_of_submitted_prompts"] == submitted == len(harmful) - len(failed)
    )


def test_export_bad_input_is_exit_2(store: tuple[Path, str, str], tmp_path: Path) -> None:
    out, rid, _ = store
    r = cli("export", rid, "-f", "yaml", "-o", "x", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2
    r = cli("export", rid, "-f", "inspect", "-o", "x.txt", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2 and ".eval or .json" in r.stderr
    r = cli("export", rid, "-f", "jsonl", "-o", "no/dir/x.jsonl", "--out", str(out), cwd=tmp_path)
    assert r.returncode == 2 and "cannot write" in r.stderr
