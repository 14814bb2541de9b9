"""`replay:` on the pinned JailbreakBench artifacts and XSTest completions."""

import asyncio
import csv
import json
from pathlib import Path

import pytest

from tightrope.errors import InputError
from tightrope.metrics.rates import metrics_table
from tightrope.records import Attempt, Behavior, GenerationConfig, Message, Record, Verdict
from tightrope.targets import get_target

ARTIFACTS = sorted(
    f"{m}/{t}/{model}.json"
    for m, t in (
        ("PAIR", "black_box"),
        ("prompt_with_random_search", "black_box"),
        ("JBC", "manual"),
    )
    for model in (
        "gpt-3.5-turbo-1106",
        "gpt-4-0125-preview",
        "llama-2-7b-chat-hf",
        "vicuna-13b-v1.5",
    )
)


def _ask(spec: str, prompts: list[str]) -> list:
    t = get_target(spec)
    return asyncio.run(
        t.generate([(Message(role="user", content=p),) for p in prompts], GenerationConfig())
    )


@pytest.mark.parametrize("artifact", ARTIFACTS)
def test_jbb_artifact_replay_reproduces_stored_asr(shared_data: Path, artifact: str) -> None:
    path = shared_data / "jbb_artifacts" / "attack-artifacts" / artifact
    doc = json.loads(path.read_text())
    jailbreaks = doc["jailbreaks"]
    responses = _ask(f"replay:{path}", [j["goal"] for j in jailbreaks])
    records = []
    for j, resp in zip(jailbreaks, responses, strict=True):
        assert resp.ok, resp.error  # null submissions replay as empty text, not as errors
        assert resp.text == (j["response"] or "")
        behavior = Behavior(
            id=f"jbb-{j['index']}",
            text=j["goal"],
            side="harmful",
            category="S1",
            source_category=j["category"],
            source="jbb-artifact",
        )
        attempt = Attempt(
            id=f"a{j['index']}",
            behavior_id=behavior.id,
            target="replay",
            messages=(Message(role="user", content=j["goal"]),),
        )
        stored = Verdict(
            judge="jbb-stored",
            judge_version="artifact",
            kind="harm",
            label="unsafe" if j["jailbroken"] else "safe",
        )
        records.append(
            Record(
                run_id="r",
                behavior=behavior,
                attempt=attempt,
                response=resp,
                verdicts={"jbb-stored": stored},
            )
        )
    t = metrics_table(records, target="replay", refusal_judge="none", harm_judge="jbb-stored")
    asr = t.overall.asr
    assert asr.n == 100 and asr.errors == 0
    assert asr.k / asr.n == doc["parameters"]["attack_success_rate"]


def test_xstest_completions_replay_every_row(shared_data: Path) -> None:
    path = (
        shared_data
        / "xstest"
        / "automated_evaluation_labels"
        / "xstest_v2_completions_gpt4_streval.csv"
    )
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    responses = _ask(f"replay:{path}", [r["prompt"] for r in rows])
    assert [r.text for r in responses] == [row["completion"] for row in rows]


def test_unrecorded_prompt_is_an_error_record(tmp_path: Path) -> None:
    f = tmp_path / "r.jsonl"
    f.write_text(json.dumps({"prompt": "hello", "response": "Hi there."}) + "\n\n")
    ok, missing = _ask(f"replay:{f}", ["  hello ", "something else"])
    assert ok.text == "Hi there."
    assert not missing.ok and "no response for this prompt" in (missing.error or "")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        (
            "bad.jsonl",
            '{"prompt": "a", "response": "b"}\n{"prompt": \n',
            r"bad.jsonl:2:\d+: not valid JSON",
        ),
        ("short.jsonl", '{"prompt": "a"}\n', "short.jsonl:1: needs string fields"),
        ("art.json", '{"parameters": {}}', "not a JailbreakBench artifact"),
        ("x.csv", "id,text\n1,a\n", "x.csv:1: needs columns 'prompt' and 'completion'"),
        ("empty.jsonl", "\n", "holds no responses"),
        ("r.txt", "x", "replay files are"),
    ],
)
def test_bad_replay_files_are_clear_errors(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    f = tmp_path / name
    f.write_text(content)
    with pytest.raises(InputError, match=message):
        get_target(f"replay:{f}")


def test_undecodable_file(tmp_path: Path) -> None:
    f = tmp_path / "x.jsonl"
    f.write_bytes(b'{"prompt": "\xff"}')
    with pytest.raises(InputError, match="not UTF-8 at byte"):
        get_target(f"replay:{f}")
