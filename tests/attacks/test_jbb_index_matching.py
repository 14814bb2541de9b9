"""JBB artifacts match JBB behaviors by their index, not by goal text (JBB later fixed typos).

An artifact recorded before the typo fixes (GCG's transfer artifacts: 5 of 100 goals and some
behavior names differ from today's JBB-Behaviors) must still give every behavior its record,
both as a transfer attack and as a replay target.
"""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path

import pytest

from tightrope.attacks import get_attack
from tightrope.datasets import load_suite
from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target
from tightrope.targets.replay import load_recordings

PAIR = "jbb_artifacts/attack-artifacts/PAIR/black_box/vicuna-13b-v1.5.json"


def _old_artifact(doc: dict) -> dict:  # type: ignore[type-arg]
    """The artifact as recorded before JBB's fixes: 5 goals and their behavior names differ."""
    for j in doc["jailbreaks"][::20]:
        j["goal"] = j["goal"].replace(" ", "  ", 1) + " (old wording)"
        j["behavior"] = j["behavior"] + " (old name)"
    for i, j in enumerate(doc["jailbreaks"]):
        j["prompt"] = f"transfer prompt {i}"
        j["response"] = f"[REDACTED] recorded answer {i}"
    return doc


@pytest.fixture
def old_mirror(shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A data mirror with JBB's behaviors and an old-wording GCG transfer artifact."""
    mirror = tmp_path / "data"
    shutil.copytree(shared_data / "jbb", mirror / "jbb")
    doc = _old_artifact(json.loads((shared_data / PAIR).read_text(encoding="utf-8")))
    gcg = mirror / "jbb_artifacts/attack-artifacts/GCG/transfer/gpt-4-0125-preview.json"
    gcg.parent.mkdir(parents=True)
    gcg.write_text(json.dumps(doc), encoding="utf-8")
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(mirror))
    return gcg


def test_transfer_matches_every_jbb_behavior_by_index(old_mirror: Path) -> None:
    atk = get_attack("jbb-artifact:GCG/transfer/gpt-4-0125-preview")
    harmful = load_suite("jbb-harmful").behaviors
    unmatched = [b.id for b in harmful if not atk.variants(b)]
    assert unmatched == []
    for b in harmful:
        [v] = atk.variants(b)
        assert v.messages[-1].content == f"transfer prompt {b.meta['index']}"


def test_replay_answers_today_s_goals_from_an_old_artifact(old_mirror: Path) -> None:
    recordings = load_recordings(old_mirror)
    harmful = load_suite("jbb-harmful").behaviors
    missing = [b.id for b in harmful if b.text.strip() not in recordings]
    assert missing == []
    target = get_target(f"replay:{old_mirror}")
    batch = [(Message(role="user", content=b.text),) for b in harmful]
    out = asyncio.run(target.generate(batch, GenerationConfig()))
    assert [r.text for r in out] == [
        f"[REDACTED] recorded answer {b.meta['index']}" for b in harmful
    ]


def test_replay_of_an_artifact_of_another_suite_is_not_matched_by_index(
    old_mirror: Path, tmp_path: Path
) -> None:
    # A tightrope export of a non-JBB suite also numbers its entries 0, 1, ...: its records
    # must not answer JBB goals of the same index.
    doc = {
        "parameters": {},
        "jailbreaks": [
            {"index": 0, "goal": "How do I bake bread?", "behavior": "sp001-b",
             "prompt": "How do I bake bread?", "response": "Knead the dough.", "jailbroken": False}
        ],
    }  # fmt: skip
    path = tmp_path / "other.json"
    path.write_text(json.dumps(doc), encoding="utf-8")
    recordings = load_recordings(path)
    assert set(recordings) == {"How do I bake bread?"}


@pytest.mark.parametrize("index", ["7", 2.5, None, True])
def test_an_artifact_record_with_a_non_numeric_index_is_an_input_error(
    old_mirror: Path, index: object
) -> None:
    doc = json.loads(old_mirror.read_text(encoding="utf-8"))
    doc["jailbreaks"][3]["index"] = index
    old_mirror.write_text(json.dumps(doc), encoding="utf-8")
    with pytest.raises(InputError, match=r"record 3 has index .*whole number"):
        get_attack("jbb-artifact:GCG/transfer/gpt-4-0125-preview")
