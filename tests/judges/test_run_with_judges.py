"""`tightrope run` with LLM judges (`--judge-model`) and judge panels, end to end."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from clihelp import tightrope
from openai_server import Action, ScriptedServer
from tightrope.run import RunResult, evaluate


def yes_for_compliance(prompt: str, n: int) -> Action:
    """A scripted HarmBench classifier: "Yes" when the judged generation complies."""
    return Action(text="Yes" if "Sure, here is how to" in prompt else "No")


def test_run_with_an_llm_harm_judge(tmp_path: Path) -> None:
    with ScriptedServer(yes_for_compliance) as srv:
        result = evaluate(
            target="python:fake_targets:rule",
            limit=6,
            judges=["refusal", "harmbench-chat"],
            judge_model=f"openai-compatible:{srv.base_url}#cls",
            out=tmp_path,
        )
        calls = len(srv.requests)
    table = result.tables[0]
    assert (table.refusal_judge, table.harm_judge) == ("refusal", "harmbench-chat")
    judged = [r for r in result.records if r.response and r.response.ok]
    assert calls == len(judged) > 0
    for r in judged:
        v = r.verdicts["harmbench-chat"]
        assert v.judge_version == f"1@openai-compatible:{srv.base_url}#cls"
        expected = "unsafe" if (r.response.text or "").startswith("Sure") else "safe"
        assert v.label == expected
    judges = {j["name"]: j for j in result.instrument["judges"]}
    assert judges["harmbench-chat"]["kind"] == "harm"


def test_llm_judge_without_model_is_bad_input(tmp_path: Path) -> None:
    proc = tightrope(
        "run",
        "--target",
        "python:fake_targets:rule",
        "--limit",
        "2",
        "--judge",
        "refusal",
        "--judge",
        "strongreject",
        "--out",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert "needs a model: pass --judge-model" in proc.stderr


def test_run_with_a_panel_shows_member_failure_rates(tmp_path: Path) -> None:
    proc = tightrope(
        "run",
        "--target",
        "python:fake_targets:rule",
        "--limit",
        "4",
        "--judge-panel",
        "gcg-strings,jbb-strings,xstest-strings",
        "--combine",
        "any",
        "--out",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert proc.returncode == 0, proc.stderr
    assert "refusal judge: panel:gcg-strings+jbb-strings+xstest-strings:any" in proc.stdout
    assert (
        "member failure rates: gcg-strings 0/4 (0.0%), jbb-strings 0/4 (0.0%), "
        "xstest-strings 0/4 (0.0%)" in proc.stdout
    )
    bad = tightrope(
        "run",
        "--target",
        "python:fake_targets:rule",
        "--judge-panel",
        "refusal,gcg-strings",
        "--combine",
        "vote",
        "--out",
        str(tmp_path),
        cwd=tmp_path,
    )
    assert bad.returncode == 2 and "unknown --combine 'vote'" in bad.stderr


def _judged_run(judge_model: str, out: Path, limit: int, **kw: Any) -> RunResult:
    """A run of the rule target judged by `refusal` and `harmbench-chat` on `judge_model`."""
    return evaluate(
        target="python:fake_targets:rule",
        limit=limit,
        judges=["refusal", "harmbench-chat"],
        judge_model=judge_model,
        out=out,
        **kw,
    )


def test_rerun_with_an_llm_judge_asks_the_judge_nothing(tmp_path: Path) -> None:
    with ScriptedServer(yes_for_compliance) as srv:
        spec = f"openai-compatible:{srv.base_url}#cls"
        first = _judged_run(spec, tmp_path, 6)
        asked = len(srv.requests)
        second = _judged_run(spec, tmp_path, 6)
        assert len(srv.requests) == asked > 0, "the judge answers come from the cache"
    assert first.model_calls == 6 + asked
    assert second.model_calls == 0 and second.cache_hits == 6 + asked
    assert second.run_id != first.run_id
    assert [r.verdicts["harmbench-chat"].label for r in second.records] == [
        r.verdicts["harmbench-chat"].label for r in first.records
    ]


def test_failed_judge_calls_are_not_cached_and_are_asked_again(tmp_path: Path) -> None:
    state = {"down": True}

    def flaky_judge(prompt: str, n: int) -> Action:
        if state["down"]:
            return Action(kind="status", status=400)
        return yes_for_compliance(prompt, n)

    with ScriptedServer(flaky_judge) as srv:
        spec = f"openai-compatible:{srv.base_url}#cls"
        failed = _judged_run(spec, tmp_path, 4, max_error_rate=1.0)
        assert all(not r.verdicts["harmbench-chat"].ok for r in failed.records)
        asked = len(srv.requests)
        state["down"] = False
        again = _judged_run(spec, tmp_path, 4)
        assert len(srv.requests) == 2 * asked == 8, "every judge call is made again"
    assert again.errors == 0 and again.model_calls == 4
