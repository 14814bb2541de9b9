"""A run streams from SQLite: chunked generation, SQL aggregation, no `Record` per row.

The streamed paths must give exactly what the record-based functions give on the same store,
and must survive chunk boundaries, failing workers and fully cached reruns.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from openai_server import Action, ScriptedServer, prompt_hash
from tightrope.judges.build import build_judges
from tightrope.metrics import count_errors
from tightrope.records import GenerationConfig, Message, Response
from tightrope.run import RunConfig, RunResult, run_async
from tightrope.run import plan as plans
from tightrope.run.pricing import usage_by_spec
from tightrope.run.runner import aggregate
from tightrope.store import Store
from tightrope.targets import TargetBase, target

FLAKY = "python:fake_targets:flaky"
RULE = "python:fake_targets:rule"

LOADS: list[str] = []


class _Boom(TargetBase):
    """A target whose generate raises (a bug in a backend), to check nothing hangs."""

    spec = "test-boom:x"
    version = "1"
    max_batch_size = 2
    max_concurrency = 2

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        raise RuntimeError("backend bug")


class _Loading(TargetBase):
    """A local-model-like target that records each load."""

    version = "1"
    max_batch_size = 4
    max_concurrency = 1

    def __init__(self, arg: str) -> None:
        self.spec = f"test-loading:{arg}"

    def load(self) -> None:
        LOADS.append(self.spec)

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        return [Response(text=f"answer {len(m[-1].content)}") for m in batch]


@target("test-boom")
def _boom(arg: str, **settings: Any) -> _Boom:
    """Raises in generate (tests only)."""
    return _Boom()


@target("test-loading")
def _loading(arg: str, **settings: Any) -> _Loading:
    """Counts loads (tests only)."""
    return _Loading(arg)


def _yes_for_compliance(prompt: str, n: int) -> Action:
    """A scripted HarmBench classifier that answers 400 (not retried) to one prompt in four."""
    if prompt_hash(prompt) % 4 == 0:
        return Action(kind="status", status=400)
    return Action(text="Yes" if "Sure, here is how to" in prompt else "No")


def test_streamed_aggregate_equals_the_record_based_one(tmp_path: Path) -> None:
    with ScriptedServer(_yes_for_compliance) as srv:
        config = RunConfig(
            targets=(FLAKY, RULE),
            attacks=("direct", "best-of-n:3", "base64"),
            judges=("refusal", "gcg-strings", "harmbench-chat"),
            judge_model=f"openai-compatible:{srv.base_url}#cls",
            target_settings={"retries": 1},
            limit=24,
            max_error_rate=1.0,
        )
        result = asyncio.run(run_async(config, out=tmp_path))
    records = result.records
    judges = build_judges(config.judges, judge_model=config.judge_model)
    assert result.tables == aggregate(records, config, judges)
    assert len(result.tables) == 2 * 3
    assert result.errors == count_errors(records, list(judges)) > 0
    expected = usage_by_spec(
        "target", [(r.attempt.target, r.response) for r in records if r.response], {}
    )
    assert [(u.spec, u.calls) for u in result.usage] == [(u.spec, u.calls) for u in expected]
    overall = result.tables[0].overall
    assert overall.asr.errors > 0, "the flaky target must fail some calls"
    judge_errors = [r for r in records if (v := r.verdicts.get("harmbench-chat")) and not v.ok]
    assert judge_errors, "the judge server must fail some calls for this test to mean anything"


def test_generation_in_small_chunks_equals_one_chunk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = RunConfig(
        judges=("refusal",), targets=(RULE,), attacks=("direct", "best-of-n:4"), limit=30
    )
    # The plan stored and generated in one chunk, then in chunks of 7 (run/plan.py).
    monkeypatch.setattr(plans, "FIRST_ROWS", 10**6)
    whole = asyncio.run(run_async(config, out=tmp_path / "whole"))
    monkeypatch.setattr(plans, "FIRST_ROWS", 7)
    monkeypatch.setattr(plans, "STEP_ROWS", 7)
    chunked = asyncio.run(run_async(config, out=tmp_path / "chunked"))
    assert chunked.model_calls == whole.model_calls == len(whole.records)
    assert [(r.attempt, r.response and r.response.text) for r in chunked.records] == [
        (r.attempt, r.response and r.response.text) for r in whole.records
    ]
    assert chunked.tables == whole.tables


def test_a_run_never_builds_records(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Store, run_id: str) -> None:
        raise AssertionError("run_async read every record; it must stream from SQL")

    monkeypatch.setattr(Store, "records", refuse)
    monkeypatch.setattr(Store, "attempts", refuse)
    result = asyncio.run(
        run_async(RunConfig(judges=("refusal",), targets=(RULE,), limit=10), out=tmp_path)
    )
    assert result.tables[0].overall.asr.n + result.tables[0].overall.not_overrefuse.n == 10


def test_a_raising_backend_gives_error_records_and_never_hangs(tmp_path: Path) -> None:
    # One rule for failures (targets/cached.py): whatever a backend raises is an error record.
    config = RunConfig(targets=("test-boom:x",), judges=("refusal",), limit=40)

    async def bounded() -> RunResult:
        return await asyncio.wait_for(run_async(config, out=tmp_path), timeout=30)

    result = asyncio.run(bounded())
    assert result.errors == 40 and result.error_rate == 1.0
    assert {r.response.error for r in result.records if r.response} == {"RuntimeError: backend bug"}


def test_a_fully_cached_rerun_does_not_load_the_model(tmp_path: Path) -> None:
    LOADS.clear()
    config = RunConfig(judges=("refusal",), targets=("test-loading:m",), limit=8)
    first = asyncio.run(run_async(config, out=tmp_path))
    assert LOADS == ["test-loading:m"] and first.model_calls == 8
    second = asyncio.run(run_async(config, out=tmp_path))
    assert LOADS == ["test-loading:m"], "a rerun answered by the cache must not load the model"
    assert second.model_calls == 0 and second.cache_hits == 8


def test_the_store_imports_only_the_records() -> None:
    # Lower layers never import higher ones (DESIGN.md): attack and judge conventions reach
    # the store as parameters.
    import ast

    import tightrope.store

    allowed = {"tightrope.records", "tightrope.errors", "tightrope.store"}
    for path in Path(tightrope.store.__file__).parent.glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("tightrope"):
                assert any(node.module == a or node.module.startswith(a + ".") for a in allowed), (
                    f"{path.name} imports {node.module}"
                )
