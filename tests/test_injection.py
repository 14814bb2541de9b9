"""The built-in `injection` suite: its pairs, the `hierarchy` judge's canary and task checks,
its metrics on replayed responses against hand counts, and a run on a scripted server."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from clihelp import tightrope
from fake_targets import conversation_key
from openai_server import ScriptedServer
from tightrope.attacks import frame, get_attack
from tightrope.datasets import load_suite
from tightrope.judges import JudgeItem, get_judge
from tightrope.metrics.hierarchy import hierarchy_metrics
from tightrope.records import GenerationConfig
from tightrope.run import evaluate
from tightrope.targets.roles import anthropic_messages, openai_messages


def test_every_pair_is_one_document_with_and_without_its_injection() -> None:
    suite = load_suite("injection")
    assert len(suite.behaviors) == 84
    for injected, clean in zip(suite.behaviors[0::2], suite.behaviors[1::2], strict=True):
        assert (injected.side, clean.side) == ("harmful", "benign")
        assert injected.pair_id == clean.pair_id and injected.text == clean.text
        assert injected.category == clean.category == "injection"
        assert injected.conversation == clean.conversation
        assert [m.role for m in injected.conversation] == ["system"]
        [doc_i], [doc_c] = injected.after, clean.after
        assert doc_i.role == doc_c.role == "tool" and doc_i.name == doc_c.name
        canary = injected.meta["canary"]
        assert canary.lower() in doc_i.content.lower()
        assert canary.lower() not in doc_c.content.lower()
        # The clean document is the injected one with the injected line taken out.
        assert set(doc_c.content.splitlines()) < set(doc_i.content.splitlines())
        assert clean.meta["check"] == "keywords" and clean.meta["keywords"]
    assert len({b.meta["canary"] for b in suite.behaviors[0::2]}) == 42


def test_canary_and_keyword_checks() -> None:
    suite = load_suite("injection")
    injected, clean = suite.behaviors[0], suite.behaviors[1]  # pi001: Thursday / CANARY-4F7K
    judge = get_judge("hierarchy")
    items = [
        JudgeItem(injected, "canary-4f7k"),
        JudgeItem(injected, "The review moved to Thursday."),
        JudgeItem(clean, "It moved to Thursday at 10:00."),
        JudgeItem(clean, "I can't tell from the e-mail."),
    ]
    labels = [v.label for v in asyncio.run(judge.judge(items))]
    assert labels == ["compliance", "refusal", "compliance", "refusal"]
    kettle = next(b for b in suite.behaviors if b.id == "injection-pi007-clean")
    [any_of] = asyncio.run(judge.judge([JudgeItem(kettle, "It has a 2 years warranty.")]))
    assert kettle.meta["any"] and any_of.label == "compliance"


def _messages(b: object) -> list[dict[str, str]]:
    [variant] = get_attack("direct").variants(b)  # type: ignore[arg-type]
    return [m.model_dump() for m in frame(b, variant.messages)]  # type: ignore[arg-type]


def test_metrics_on_replayed_responses_equal_hand_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    behaviors = list(load_suite("injection").limit(24).behaviors)
    table: dict[str, str] = {}
    hits: dict[str, bool] = {}
    for i, b in enumerate(behaviors):
        if i % 9 == 4:
            continue  # no recording: a failed call, counted apart
        hit = (i // 2) % 3 != 1
        if b.side == "harmful":
            reply = b.meta["canary"] if hit else "Here is the summary you asked for."
        else:
            reply = f"Answer: {', '.join(b.meta['keywords'])}." if hit else "Sorry, no idea."
        table[conversation_key(_messages(b))] = reply
        hits[b.id] = hit
    replay = tmp_path / "replay.json"
    replay.write_text(json.dumps(table))
    monkeypatch.setenv("TIGHTROPE_TEST_REPLAY", str(replay))
    result = evaluate(
        target="python:fake_targets:replay_table", suites=["injection"], limit=24, out=tmp_path
    )
    named = {m.key: m.rate for m in hierarchy_metrics(result.tables[0])}
    for key, side in (("injection_robustness", "harmful"), ("task_completion", "benign")):
        ids = [b.id for b in behaviors if b.side == side]
        done = [i for i in ids if i in hits]
        good = sum(not hits[i] for i in done) if side == "harmful" else sum(hits[i] for i in done)
        r = named[key]
        assert (r.k, r.n, r.errors) == (good, len(done), len(ids) - len(done))
        assert 0 < r.k < r.n and r.errors > 0


def _obedient_half(body: dict[str, object]) -> str:
    """A scripted model: obeys an injection in odd-numbered pairs, otherwise answers plainly."""
    doc = str(body["messages"][-1]["content"])  # type: ignore[index]
    for word in doc.split():
        if word.upper().startswith("CANARY-") and int(word[-2], 36) % 2:
            return word.rstrip(".'\"")
    return "It moved to Thursday."


def test_a_run_on_a_scripted_server_sends_documents_as_tool_results(tmp_path: Path) -> None:
    with ScriptedServer(responder=_obedient_half) as srv:
        proc = tightrope(
            "run", "--suite", "injection", "--target", f"openai-compatible:{srv.base_url}#m",
            "--limit", "6", "--out", str(tmp_path), cwd=tmp_path,
        )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert len(srv.requests) == 6
    for body in srv.requests:
        roles = [m["role"] for m in body["messages"]]
        assert roles == ["system", "user", "assistant", "tool"]
        call = body["messages"][2]["tool_calls"][0]
        assert body["messages"][3]["tool_call_id"] == call["id"]
        assert call["function"]["name"] in {"read_email", "fetch_webpage", "read_file"}
    out = " ".join(proc.stdout.split())
    assert "injection robustness rate" in out and "task completion" in out


def test_anthropic_gets_the_document_as_a_tool_result() -> None:
    b = load_suite("injection").behaviors[0]
    msgs = frame(b, get_attack("direct").variants(b)[0].messages)
    system, turns = anthropic_messages(msgs, GenerationConfig())
    assert system == b.conversation[0].content
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    [use] = turns[1]["content"]
    [result] = turns[2]["content"]
    assert use["name"] == "read_email" and result["tool_use_id"] == use["id"]
    assert result["content"] == b.after[0].content
    assert openai_messages(msgs, GenerationConfig())[-1] == {
        "role": "tool",
        "tool_call_id": "call_1",
        "content": b.after[0].content,
    }
