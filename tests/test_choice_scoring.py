"""`--choice-scoring loglik` in a run: BBQ items scored by option log-likelihood on a local model,
every other item generated, cache keys kept apart by mode, remote targets refused."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.report.compare import instrument_differences
from tightrope.report.loader import load_runs
from tightrope.run import RunConfig
from tightrope.run.result import opened
from tightrope.run.run_file import dump_run_file
from tightrope.run.runner import run_async
from tiny_llama import build_tiny_llama


@pytest.fixture(scope="module")
def tiny(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = build_tiny_llama(
        tmp_path_factory.mktemp("tiny-llama-abc"), extra=("A", "B", "C"), init_range=0.5
    )
    return f"hf:{folder}"


def _config(tiny: str, scoring: str) -> RunConfig:
    return RunConfig(
        targets=(tiny,),
        suites=("bbq:age", "simplesafetytests"),
        judges=("refusal",),
        limit=6,
        max_error_rate=1.0,
        target_settings={"device": "cpu"},
        choice_scoring=scoring,  # type: ignore[arg-type]
    )


def test_loglik_scores_choice_items_only_and_keeps_its_own_cache_keys(
    tiny: str, tmp_path: Path, shared_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(shared_data))
    scored = asyncio.run(run_async(_config(tiny, "loglik"), out=tmp_path))
    with opened(scored.store_path) as store:
        records = store.records(scored.run_id)
        keys = {a.id: k for a, k in store.attempts(scored.run_id)}
        config = store.run(scored.run_id).config
    assert config["choice_scoring"] == "loglik"
    bbq = [r for r in records if r.behavior.side == "choice"]
    rest = [r for r in records if r.behavior.side != "choice"]
    assert len(bbq) == 6 and len(rest) == 6
    for r in bbq:
        resp = r.response
        assert resp is not None and resp.ok and resp.finish_reason == "loglik"
        assert resp.option_logprobs is not None and list(resp.option_logprobs) == ["A", "B", "C"]
        best = max(resp.option_logprobs, key=resp.option_logprobs.__getitem__)
        assert resp.text == best
        # The choice judge reads the recorded letter: correct exactly when it is the answer.
        v = r.verdicts["choice"]
        assert v.choice == "ABC".index(best)
        assert v.label == ("correct" if v.choice == r.behavior.answer else "incorrect")
    for r in rest:  # every other attempt is generated as before
        assert r.response is not None and r.response.finish_reason in ("stop", "length")
        assert r.response.option_logprobs is None
        assert set(r.verdicts) == {"refusal"}

    # The same run by generation: a new run (the mode is in the fingerprint) whose BBQ calls
    # are not answered by the scored ones, while every other call comes from the cache.
    generated = asyncio.run(run_async(_config(tiny, "generate"), out=tmp_path))
    assert generated.run_id != scored.run_id
    with opened(generated.store_path) as store:
        gen_records = store.records(generated.run_id)
        gen_keys = {a.id: k for a, k in store.attempts(generated.run_id)}
        gen_config = store.run(generated.run_id).config
    assert "choice_scoring" not in gen_config  # stored as every run before the option was
    assert scored.instrument["choice_scoring"] == "loglik"
    assert "choice_scoring" not in generated.instrument
    # Comparing the two runs says that they did not answer BBQ the same way.
    [a, b] = load_runs(tmp_path, [scored.run_id, generated.run_id])
    mismatches, _ = instrument_differences(a, b)
    assert "choice scoring: loglik vs generate (multiple-choice accuracy)" in mismatches
    assert generated.cache_hits == 6 and generated.model_calls == 6
    for r in gen_records:
        same = gen_keys[r.attempt.id] == keys[r.attempt.id]
        assert same == (r.behavior.side != "choice")
        if r.behavior.side == "choice":
            assert r.response is not None and r.response.finish_reason != "loglik"

    # Scored again: every answer from the cache, the same letters.
    again = asyncio.run(run_async(_config(tiny, "loglik"), out=tmp_path))
    assert again.model_calls == 0 and again.cache_hits == 12
    with opened(again.store_path) as store:
        texts = {r.attempt.id: r.response.text for r in store.records(again.run_id) if r.response}
    assert all(texts[r.attempt.id] == r.response.text for r in bbq if r.response)


def test_the_mode_is_stored_and_fingerprinted_only_when_not_generate() -> None:
    assert "choice_scoring" not in RunConfig().model_dump(mode="json")
    assert RunConfig(choice_scoring="loglik").model_dump(mode="json")["choice_scoring"] == "loglik"
    # A run file written from a stored run repeats the mode.
    text = dump_run_file(
        {"choice_scoring": "loglik", "targets": ["embedded:smollm2"]}, run_id="r", out="o"
    )
    assert "choice_scoring: loglik" in text
    assert "choice_scoring" not in dump_run_file(
        {"targets": ["embedded:smollm2"]}, run_id="r", out="o"
    )


def _one_line(r: object) -> str:
    import subprocess

    assert isinstance(r, subprocess.CompletedProcess)
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def test_a_remote_target_with_loglik_is_one_line_and_exit_2(tmp_path: Path) -> None:
    r = tightrope(
        "run", "--target", "openai-compatible:http://127.0.0.1:9/v1#m", "--suite", "bbq:age",
        "--choice-scoring", "loglik", "--out", "o", cwd=tmp_path,
    )  # fmt: skip
    line = _one_line(r)
    assert "--choice-scoring loglik" in line and "cannot score" in line and "generate" in line
    bad = tightrope("run", "--choice-scoring", "nope", "--out", "o", cwd=tmp_path)
    assert "--choice-scoring 'nope'" in _one_line(bad) and "loglik" in _one_line(bad)
    assert not (tmp_path / "o").exists(), "nothing written on bad input"
