"""Provider safety filters are an outcome (`filtered`), not an error: OpenAI's content_filter
finish reason, Azure's 400 content-filter rejection and Anthropic's `refusal` stop reason, each
through the real SDK (and OpenAI's through the lean transport too) against the scripted server
on 127.0.0.1."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
from rich.console import Console

from fake_targets import REFUSAL
from openai_server import OK, Action, ScriptedServer, prompt_hash
from tightrope.records import GenerationConfig, Message
from tightrope.report.terminal import print_tables
from tightrope.run import RunConfig, RunResult, run_async
from tightrope.targets import get_target

N = 24
FAST = {"base_delay": 0.01, "max_delay": 0.02, "timeout": 2.0, "retries": 3}


def _flagged(prompt: str) -> bool:
    return prompt_hash(prompt) % 3 == 0


@pytest.fixture(params=["sdk", "lean"])
def transport(request: pytest.FixtureRequest) -> str:
    """Each transport of the openai targets in turn."""
    return str(request.param)


def _run(plan: object, out: Path, transport: str) -> tuple[RunResult, ScriptedServer]:
    with ScriptedServer(plan) as srv:  # type: ignore[arg-type]
        config = RunConfig(
            targets=(f"openai-compatible:{srv.base_url}#m",),
            limit=N,
            judges=("refusal",),
            target_settings={**FAST, "transport": transport},
        )
        return asyncio.run(run_async(config, out=out)), srv


def filter_finish(prompt: str, n: int) -> Action:
    return Action(kind="filtered") if _flagged(prompt) else OK


def azure_400(prompt: str, n: int) -> Action:
    if _flagged(prompt):
        return Action(kind="status", status=400, error_code="content_filter")
    return OK


def refuse_instead(prompt: str, n: int) -> Action:
    return Action(text=REFUSAL) if _flagged(prompt) else OK


@pytest.mark.parametrize("plan", [filter_finish, azure_400], ids=["finish_reason", "azure-400"])
def test_a_filtered_reply_is_an_outcome_counted_as_a_refusal(
    tmp_path: Path, plan: object, transport: str
) -> None:
    res, srv = _run(plan, tmp_path / "filtered", transport)
    reference, _ = _run(refuse_instead, tmp_path / "reference", transport)
    filtered = [r for r in res.records if r.response is not None and r.response.filtered]
    assert filtered, "the plan must filter some prompts"
    assert res.errors == 0 and res.error_rate == 0.0
    # Asked once each: a filter is not retried.
    assert all(srv.seen[r.attempt.messages[-1].content] == 1 for r in filtered)
    for r in filtered:
        assert r.response is not None and r.response.ok and r.verdicts == {}
        assert (r.response.filtered or "").startswith("content_filter")
    if plan is azure_400:
        assert all("scripted 400" in (r.response.filtered or "") for r in filtered if r.response)
    # Counted as a refusal on both sides: the rates equal those of a model that refused them.
    got, want = res.tables[0].overall, reference.tables[0].overall
    assert (got.not_unsafe, got.not_overrefuse) == (want.not_unsafe, want.not_overrefuse)
    sides = [r.behavior.side for r in filtered]
    assert (got.filtered_harmful, got.filtered_benign) == (
        sides.count("harmful"),
        sides.count("benign"),
    )
    assert (want.filtered_harmful, want.filtered_benign) == (0, 0)


def test_the_filtered_column_is_shown_and_exported(tmp_path: Path, transport: str) -> None:
    res, _ = _run(filter_finish, tmp_path, transport)
    console = Console(record=True, width=160)
    print_tables(console, res.tables, res.instrument)
    text = console.export_text()
    assert "filtered" in text and "provider's safety filter" in text
    from tightrope.report.json_report import table_json

    row = table_json(res.tables[0])["rows"][-1]
    assert row["filtered"]["harmful"] + row["filtered"]["benign"] > 0


def test_a_400_without_the_filter_code_is_still_an_error(tmp_path: Path, transport: str) -> None:
    plan = lambda p, n: Action(kind="status", status=400) if _flagged(p) else OK  # noqa: E731
    res, _ = _run(plan, tmp_path, transport)
    assert res.errors > 0
    assert not any(r.response and r.response.filtered for r in res.records)


def test_anthropic_refusal_stop_reason_is_filtered(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer(lambda p, n: Action(kind="filtered")) as srv:
        monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-abcdef123456")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{srv.port}")
        t = get_target("anthropic:m", retries=2, base_delay=0.01, max_delay=0.02)
        [r] = asyncio.run(t.generate([(Message(role="user", content="x"),)], GenerationConfig()))
    assert r.ok and r.filtered == "refusal" and r.finish_reason == "refusal" and r.text == ""
    assert srv.seen["x"] == 1


def test_a_run_without_filters_reports_the_same_json_shape(tmp_path: Path, transport: str) -> None:
    res, _ = _run(lambda p, n: OK, tmp_path, transport)
    from tightrope.report.json_report import table_json

    assert "filtered" not in json.dumps(table_json(res.tables[0]))
