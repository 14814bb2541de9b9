"""The anthropic target through the real `anthropic` SDK against a local Messages-API server."""

import asyncio

import pytest

from fake_targets import answer_for
from openai_server import OK, Action, ScriptedServer
from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target

SECRET = "sk-ant-test-SECRET-abcdef123456"


def _setup(monkeypatch: pytest.MonkeyPatch, srv: ScriptedServer) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", SECRET)
    monkeypatch.setenv("ANTHROPIC_BASE_URL", f"http://127.0.0.1:{srv.port}")


def test_messages_round_trip_with_system_prompt(monkeypatch: pytest.MonkeyPatch) -> None:
    with ScriptedServer() as srv:
        _setup(monkeypatch, srv)
        t = get_target("anthropic:claude-test", base_delay=0.01)
        conv = (Message(role="system", content="Be brief."), Message(role="user", content="hi"))
        [r] = asyncio.run(t.generate([conv], GenerationConfig(max_tokens=20)))
    assert r.ok and r.text == answer_for("hi") and r.finish_reason == "end_turn"
    body = srv.requests[0]
    assert body["system"] == "Be brief." and body["messages"] == [{"role": "user", "content": "hi"}]
    assert body["max_tokens"] == 20 and body["model"] == "claude-test"
    headers = {k.lower(): v for k, v in srv.headers[0].items()}
    # SDK versions differ: x-api-key, or a bearer token.
    assert SECRET in (headers.get("x-api-key", ""), headers.get("authorization", "")[7:])


def test_overload_then_success_and_exhausted_retries(monkeypatch: pytest.MonkeyPatch) -> None:
    plan = lambda p, n: Action(kind="status", status=529) if n < 2 else OK  # noqa: E731
    with ScriptedServer(plan) as srv:
        _setup(monkeypatch, srv)
        t = get_target("anthropic:m", retries=3, base_delay=0.01, max_delay=0.02)
        [ok] = asyncio.run(t.generate([(Message(role="user", content="x"),)], GenerationConfig()))
        assert ok.ok
    with ScriptedServer(lambda p, n: Action(kind="empty")) as srv:
        _setup(monkeypatch, srv)
        t = get_target("anthropic:m", retries=2, base_delay=0.01, max_delay=0.02)
        [bad] = asyncio.run(t.generate([(Message(role="user", content="x"),)], GenerationConfig()))
    assert not bad.ok and "no text content" in (bad.error or "")
    assert SECRET not in (bad.error or "")


def test_missing_key_is_an_input_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(InputError, match="ANTHROPIC_API_KEY"):
        get_target("anthropic:m")
