"""`human-jailbreaks`: the templates of JailbreakBench's JBC artifacts, ASR by template."""

import asyncio
import json
from pathlib import Path

import pytest

from tightrope.attacks import get_attack
from tightrope.attacks.static.human import HumanJailbreaks, template_of
from tightrope.errors import InputError
from tightrope.metrics.attacks import asr_by_variant
from tightrope.run import RunConfig, run_async

JBC = ("jbb_artifacts", "attack-artifacts", "JBC", "manual")
MODELS = ("gpt-3.5-turbo-1106", "gpt-4-0125-preview", "llama-2-7b-chat-hf", "vicuna-13b-v1.5")


@pytest.fixture
def mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(shared_data))
    return shared_data


def test_the_templates_rebuild_every_submitted_prompt(mirror: Path) -> None:
    atk = get_attack("human-jailbreaks")
    assert isinstance(atk, HumanJailbreaks)
    # What the pinned files hold: one template (AIM), shared by all four artifacts.
    assert [t.name for t in atk.templates] == ["AIM"]
    assert atk.templates[0].models == MODELS
    assert atk.params["templates"] == {"AIM": atk.templates[0].sha256}
    for model in MODELS:
        doc = json.loads(mirror.joinpath(*JBC, f"{model}.json").read_text())
        for rec in doc["jailbreaks"]:
            assert atk.templates[0].fill(rec["goal"]) == rec["prompt"]


def test_a_file_whose_records_disagree_is_refused() -> None:
    doc = {
        "jailbreaks": [
            {"goal": "do X", "prompt": "Story: do X. Stay in character."},
            {"goal": "do Y", "prompt": "Another story: do Y."},
        ]
    }
    with pytest.raises(InputError, match="expected one template, found 2"):
        template_of(doc, "JBC/manual/m.json")
    doc = {"jailbreaks": [{"goal": "do X", "prompt": "no goal here"}]}
    with pytest.raises(InputError, match="record 0: the prompt does not hold its goal"):
        template_of(doc, "JBC/manual/m.json")


def test_asr_by_template_on_jbb_behaviors(mirror: Path, tmp_path: Path) -> None:
    config = RunConfig(
        targets=("python:fake_targets:rule",),
        suites=("jbb-harmful",),
        attacks=("human-jailbreaks",),
        judges=("refusal",),
        limit=6,
    )
    res = asyncio.run(run_async(config, out=tmp_path / "o"))
    mine = [r for r in res.records if r.attempt.attack == "human-jailbreaks"]
    assert len(mine) == 6
    doc = json.loads(mirror.joinpath(*JBC, "vicuna-13b-v1.5.json").read_text())
    by_index = {int(j["index"]): j["prompt"] for j in doc["jailbreaks"]}
    for r in mine:
        assert r.attempt.attack_params["template"] == "AIM"
        # JBB reworded a few goals since the artifacts; the prompt holds today's wording.
        assert r.attempt.messages[-1].content.endswith(r.behavior.text)
        if by_index[int(r.behavior.meta["index"])].endswith(r.behavior.text):
            assert r.attempt.messages[-1].content == by_index[int(r.behavior.meta["index"])]
    [(variant, rate)] = asr_by_variant(
        res.records,
        target="python:fake_targets:rule",
        attack="human-jailbreaks",
        refusal_judge="refusal",
        harm_judge=None,
    )
    expected = sum(r.verdicts["refusal"].label != "refusal" for r in mine)
    assert variant == "AIM" and (rate.k, rate.n) == (expected, 6)
