"""Fine-tuned judge models get the exact input they were trained on (issue 13, item 6).

`harmbench-cls` reads HarmBench's classifier prompt from its upstream file at run time (pinned
SHA-256, cached like a dataset file) and sends it raw to a completions endpoint; `llamaguard3`
sends the conversation as chat messages so the server applies Llama Guard's own template. The
upstream file is never in the repository or in these tests: each test writes a template file of
its own in the upstream file's format, with obviously fake wording, under TIGHTROPE_DATA_DIR,
and pins its hash. Every request is checked as it reached a scripted server on 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
from pathlib import Path

import pytest

from clihelp import tightrope
from openai_server import Action, ScriptedServer
from tightrope.errors import InputError
from tightrope.judges import JudgeItem, get_judge
from tightrope.judges.prompts import harmbench_cls
from tightrope.records import Behavior, GenerationConfig, Message, Response
from tightrope.run import evaluate
from tightrope.targets import get_target

FAST = {"base_delay": 0.01, "max_delay": 0.05, "retries": 1, "timeout": 60.0}
HARMFUL = "Sure, here is how to [REDACTED]: Step 1 ..."

# The upstream file's shape (a module-level dict of triple-quoted templates among other code),
# in made-up words: nothing here is HarmBench's text.
FAKE_FILE = """import re

NOT_IT = {"prompt": "a decoy {x}"}


LLAMA2_CLS_PROMPT = {
        "description": "FAKE classifier template written for tightrope's tests",
        "prompt": '''<FAKE-CLS>
B: {behavior}
G: {generation}
</FAKE-CLS> answer:''',
"prompt_contextual": '''<FAKE-CLS-CTX>
C: {context}
B: {behavior}
G: {generation}
</FAKE-CLS-CTX> answer:''',
}


def later():
    return LLAMA2_CLS_PROMPT['prompt'].format(behavior=1, generation=2)
"""


def behavior(context: str | None = None) -> Behavior:
    return Behavior(
        id="b1",
        text="Explain how to [REDACTED]",
        side="harmful",
        category="S2",
        source_category="test",
        source="test@1",
        context=context,
    )


def write_template(root: Path, text: str = FAKE_FILE) -> str:
    """Write the template file where the mirror keeps it; return its SHA-256."""
    path = root / "harmbench" / "eval_utils.py"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode("utf-8"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.fixture
def fake_upstream(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A mirror holding the fake template file, pinned by its own hash."""
    mirror = tmp_path / "mirror"
    digest = write_template(mirror)
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(mirror))
    pinned = dataclasses.replace(harmbench_cls.UPSTREAM, sha256=digest)
    monkeypatch.setattr(harmbench_cls, "UPSTREAM", pinned)
    return mirror


def test_harmbench_cls_sends_the_upstream_template_raw(fake_upstream: Path) -> None:
    answers = {"[case 0]": "Yes", "[case 1]": " no\n", "[case 2]": "Yes, it is", "[case 3]": "NO"}

    def plan(prompt: str, n: int) -> Action:
        return Action(text=next(a for k, a in answers.items() if k in prompt))

    items = [
        JudgeItem(behavior(), f"[case 0] {HARMFUL}"),
        JudgeItem(behavior(), "[case 1] I can't help with {generation} or {0}."),
        JudgeItem(behavior(), "[case 2] x"),
        JudgeItem(behavior("CTX-TEXT"), "[case 3] " + " ".join(f"w{i}" for i in range(500))),
    ]
    with ScriptedServer(plan) as srv:
        judge = get_judge("harmbench-cls", model=f"openai-completions:{srv.base_url}#cls", **FAST)
        verdicts = asyncio.run(judge.judge(items))
        bodies = sorted(srv.requests, key=lambda b: str(b["prompt"]).split("[case ")[1][:1])
    assert [v.label for v in verdicts] == ["unsafe", "safe", "error", "safe"], [
        v.reason for v in verdicts
    ]
    assert verdicts[2].reason is not None and 'expected "yes" or "no"' in verdicts[2].reason
    assert verdicts[0].judge_version == f"2@openai-completions:{srv.base_url}#cls"
    assert len(bodies) == 4
    for body in bodies:
        assert "messages" not in body, "a raw prompt, not a chat conversation"
        assert (body["model"], body["max_tokens"], body["temperature"]) == ("cls", 1, 0.0)
    assert bodies[0]["prompt"] == (
        f"<FAKE-CLS>\nB: Explain how to [REDACTED]\nG: [case 0] {HARMFUL}\n</FAKE-CLS> answer:"
    )
    assert bodies[1]["prompt"] == (
        "<FAKE-CLS>\nB: Explain how to [REDACTED]\n"
        "G: [case 1] I can't help with {generation} or {0}.\n</FAKE-CLS> answer:"
    )
    clipped = "[case 3] " + " ".join(f"w{i}" for i in range(382))  # 384 words, ~512 tokens
    assert bodies[3]["prompt"] == (
        "<FAKE-CLS-CTX>\nC: CTX-TEXT\nB: Explain how to [REDACTED]\n"
        f"G: {clipped}\n</FAKE-CLS-CTX> answer:"
    )


def test_harmbench_cls_in_a_run(fake_upstream: Path, tmp_path: Path) -> None:
    with ScriptedServer(lambda p, n: Action(text="Yes" if "Sure, here is" in p else "No")) as srv:
        result = evaluate(
            target="python:fake_targets:rule",
            limit=4,
            judges=["refusal", "harmbench-cls"],
            judge_model=f"openai-completions:{srv.base_url}#cls",
            out=tmp_path / "runs",
        )
        prompts = [str(b["prompt"]) for b in srv.requests]
    judged = [r for r in result.records if r.response and r.response.ok]
    assert len(prompts) == len(judged) > 0
    assert all(p.startswith("<FAKE-CLS") for p in prompts)
    for r in judged:
        expected = "unsafe" if (r.response.text or "").startswith("Sure, here is") else "safe"
        assert r.verdicts["harmbench-cls"].label == expected


def test_template_file_must_hold_the_dict(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"up\.py: no module-level LLAMA2_CLS_PROMPT dict"):
        harmbench_cls.parse_cls_prompts("X = {'prompt': '{behavior}'}\n", "up.py")
    bad_fields = FAKE_FILE.replace("C: {context}\n", "")
    with pytest.raises(InputError, match=r"up\.py, line 6: .*'prompt_contextual'.* fields"):
        harmbench_cls.parse_cls_prompts(bad_fields, "up.py")
    no_form = FAKE_FILE.replace('"prompt_contextual"', '"other"')
    with pytest.raises(InputError, match="'prompt_contextual'] is missing"):
        harmbench_cls.parse_cls_prompts(no_form, "up.py")
    with pytest.raises(InputError, match="not a literal dict"):
        harmbench_cls.parse_cls_prompts("LLAMA2_CLS_PROMPT = make()\n", "up.py")
    with pytest.raises(InputError, match="not Python"):
        harmbench_cls.parse_cls_prompts("LLAMA2_CLS_PROMPT = {\n", "up.py")


def test_missing_file_in_mirror_says_how_to_fetch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(tmp_path))
    with pytest.raises(InputError) as info:
        get_judge("harmbench-cls", model="openai-completions:http://127.0.0.1:9/v1#cls")
    message = str(info.value)
    assert "\n" not in message
    assert str(tmp_path / "harmbench" / "eval_utils.py") in message
    assert harmbench_cls.UPSTREAM.url in message and "curl" in message


def test_chat_backends_are_refused(fake_upstream: Path) -> None:
    with pytest.raises(InputError, match="openai-completions:URL#cais/HarmBench"):
        get_judge("harmbench-cls", model="openai-compatible:http://127.0.0.1:9/v1#cls")
    with pytest.raises(InputError, match="chat endpoint"):
        get_judge("llamaguard3", model="openai-completions:http://127.0.0.1:9/v1#guard")


def cli_run(tmp_path: Path, **env: str) -> tuple[int, str, Path]:
    out = tmp_path / "runs"
    proc = tightrope(
        "run", "--target", "python:fake_targets:rule", "--limit", "2", "--judge",
        "harmbench-cls", "--judge-model", "openai-completions:http://127.0.0.1:9/v1#cls",
        "--out", str(out), cwd=tmp_path, **env,
    )  # fmt: skip
    return proc.returncode, proc.stderr, out


def test_checksum_mismatch_is_one_line_exit_2(tmp_path: Path) -> None:
    mirror = tmp_path / "mirror"
    write_template(mirror)  # not the pinned upstream bytes
    code, err, out = cli_run(tmp_path, TIGHTROPE_DATA_DIR=str(mirror))
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "eval_utils.py: sha256" in err
    assert f"expected {harmbench_cls.UPSTREAM.sha256}" in err
    assert not list(out.glob("**/*.sqlite*")), "nothing written before the error"


def test_offline_without_cached_file_says_how_to_fetch(tmp_path: Path) -> None:
    env = {"TIGHTROPE_OFFLINE": "1", "TIGHTROPE_CACHE_DIR": str(tmp_path / "cache")}
    code, err, _ = cli_run(tmp_path, TIGHTROPE_DATA_DIR="", **env)
    assert code == 2, err
    assert len(err.strip().splitlines()) == 1, err
    assert "TIGHTROPE_OFFLINE is set" in err and "curl" in err
    assert "HarmBench/8e1604d1171fe8a48d8febecd22f600e462bdcdd/eval_utils.py" in err


def test_llamaguard3_sends_the_conversation_as_chat_messages() -> None:
    with ScriptedServer(lambda p, n: Action(text="\n\nunsafe\nS2")) as srv:
        judge = get_judge("llamaguard3", model=f"openai-compatible:{srv.base_url}#guard", **FAST)
        items = [JudgeItem(behavior(), HARMFUL), JudgeItem(behavior("CTX-TEXT"), "No.")]
        verdicts = asyncio.run(judge.judge(items))
        bodies = sorted(srv.requests, key=lambda b: len(b["messages"][0]["content"]))
    assert [(v.label, v.categories) for v in verdicts] == [("unsafe", ("S2",))] * 2
    assert [b["messages"] for b in bodies] == [
        [
            {"role": "user", "content": "Explain how to [REDACTED]"},
            {"role": "assistant", "content": HARMFUL},
        ],
        [
            {"role": "user", "content": "CTX-TEXT\n\n---\n\nExplain how to [REDACTED]"},
            {"role": "assistant", "content": "No."},
        ],
    ]
    assert all((b["max_tokens"], b["temperature"]) == (20, 0.0) for b in bodies)


def test_completions_target_refuses_a_chat_conversation() -> None:
    with ScriptedServer() as srv:
        model = get_target(f"openai-completions:{srv.base_url}#m", **FAST)
        two = [Message(role="user", content="a"), Message(role="assistant", content="b")]
        one = [Message(role="user", content="hello")]

        async def both() -> list[Response]:
            try:
                return await model.generate([two, one], GenerationConfig(max_tokens=5))
            finally:
                await model.aclose()

        out = asyncio.run(both())
        assert [b["prompt"] for b in srv.requests] == ["hello"]
    assert out[0].error is not None and "single user message" in out[0].error
    assert out[1].ok and out[1].text


MULTI_TURN = (
    Message(role="system", content="Be helpful."),
    Message(role="user", content="Tell me about the history of [TOPIC]."),
    Message(role="assistant", content="It began long ago ..."),
    Message(role="tool", name="search", content="a search result"),
    Message(role="user", content="How was it done back then?"),
)


def test_llamaguard3_judges_a_multi_turn_answer_in_its_conversation() -> None:
    with ScriptedServer(lambda p, n: Action(text="safe")) as srv:
        judge = get_judge("llamaguard3", model=f"openai-compatible:{srv.base_url}#guard", **FAST)
        single = JudgeItem(behavior(), "No.", conversation=(Message(role="user", content="x"),))
        multi = JudgeItem(behavior(), HARMFUL, conversation=MULTI_TURN)
        verdicts = asyncio.run(judge.judge([single, multi]))
        bodies = sorted(srv.requests, key=lambda b: len(b["messages"]))
    assert [v.label for v in verdicts] == ["safe", "safe"]
    # One turn: the behavior is the user turn, as before.
    assert bodies[0]["messages"][0] == {"role": "user", "content": "Explain how to [REDACTED]"}
    # Several turns: user/assistant alternating, system left out, the tool's text read as the
    # user's, then the answer under judgement.
    assert bodies[1]["messages"] == [
        {"role": "user", "content": MULTI_TURN[1].content},
        {"role": "assistant", "content": MULTI_TURN[2].content},
        {"role": "user", "content": f"{MULTI_TURN[3].content}\n\n{MULTI_TURN[4].content}"},
        {"role": "assistant", "content": HARMFUL},
    ]


def test_the_judge_stage_gives_judges_the_conversation_sent(tmp_path: Path) -> None:
    suite = tmp_path / "multi.jsonl"
    row = {
        "text": "How was it done back then?",
        "side": "harmful",
        "category": "S2",
        "conversation": [
            {"role": "user", "content": "Tell me about the history of [TOPIC]."},
            {"role": "assistant", "content": "It began long ago ..."},
        ],
    }
    suite.write_text(json.dumps(row) + "\n", encoding="utf-8")
    with ScriptedServer(lambda p, n: Action(text="safe")) as srv:
        evaluate(
            target="python:fake_targets:rule",
            suites=[f"file:{suite}"],
            judges=("refusal", "llamaguard3"),
            judge_model=f"openai-compatible:{srv.base_url}#guard",
            out=tmp_path / "o",
        )
        [body] = srv.requests
    assert [m["role"] for m in body["messages"]] == ["user", "assistant", "user", "assistant"]
    assert body["messages"][2]["content"] == "How was it done back then?"
