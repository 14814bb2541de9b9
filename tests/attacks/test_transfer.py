"""`jbb-artifact:METHOD/MODEL`: JailbreakBench artifacts transferred to a target.

The golden test replays each pinned artifact against its own recorded responses (`replay:`)
and judges them with the artifact's stored `jailbroken` flags: the attack's ASR must equal the
artifact's `attack_success_rate` (REFERENCE.md section 4).
"""

import asyncio
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from tightrope.attacks import get_attack
from tightrope.errors import InputError
from tightrope.judges import JudgeItem, judges
from tightrope.metrics.attacks import summarize
from tightrope.records import Behavior, JudgeKind, Verdict
from tightrope.run import RunConfig, run_async

ARTIFACTS = [
    ("PAIR", "black_box", m)
    for m in ("gpt-3.5-turbo-1106", "gpt-4-0125-preview", "llama-2-7b-chat-hf", "vicuna-13b-v1.5")
] + [
    ("prompt_with_random_search", "black_box", "vicuna-13b-v1.5"),
    ("prompt_with_random_search", "black_box", "llama-2-7b-chat-hf"),
    ("JBC", "manual", "vicuna-13b-v1.5"),
    ("JBC", "manual", "gpt-4-0125-preview"),
]
STORED: dict[int, bool] = {}


@dataclass(frozen=True)
class StoredFlags:
    """A harm judge that answers with the artifact's stored `jailbroken` flag per behavior."""

    name: str = "jbb-stored-flags"
    version: str = "artifact"
    kind: JudgeKind = "harm"

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        return [
            Verdict(
                judge=self.name,
                judge_version=self.version,
                kind="harm",
                label="unsafe" if STORED[int(i.behavior.meta["index"])] else "safe",
            )
            for i in items
        ]


if "jbb-stored-flags" not in judges:
    judges.register("jbb-stored-flags")(StoredFlags)


@pytest.fixture
def mirror(shared_data: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(shared_data))
    return shared_data


@pytest.mark.parametrize(("method", "kind", "model"), ARTIFACTS)
def test_replayed_artifact_reproduces_its_stored_asr(
    mirror: Path, tmp_path: Path, method: str, kind: str, model: str
) -> None:
    path = mirror / "jbb_artifacts" / "attack-artifacts" / method / kind / f"{model}.json"
    doc = json.loads(path.read_text())
    STORED.clear()
    STORED.update({int(j["index"]): bool(j["jailbroken"]) for j in doc["jailbreaks"]})
    attack = f"jbb-artifact:{method}/{model}"
    config = RunConfig(
        targets=(f"replay:{path}",),
        suites=("jbb-harmful",),
        attacks=(attack,),
        judges=("refusal", "jbb-stored-flags"),
    )
    res = asyncio.run(run_async(config, out=tmp_path / "o"))
    transferred = [r for r in res.records if r.attempt.attack == attack]
    prompts = {int(j["index"]): j["prompt"] for j in doc["jailbreaks"]}
    assert len(transferred) == sum(p is not None for p in prompts.values())
    for r in transferred:
        assert r.attempt.messages[-1].content == prompts[int(r.behavior.meta["index"])]
        assert r.response is not None and r.response.ok, "replay answers every recorded prompt"
    s = summarize(
        res.records,
        target=f"replay:{path}",
        attack=attack,
        refusal_judge="refusal",
        harm_judge="jbb-stored-flags",
    )
    assert s.asr.n == 100 and s.asr.errors == 0
    # The direct baseline too: today's reworded goals are answered by JBB Index.
    direct = [r for r in res.records if r.attempt.attack == "direct"]
    assert len(direct) == 100 and all(r.response is not None and r.response.ok for r in direct)
    assert s.no_attempt == sum(p is None for p in prompts.values())
    assert s.asr.k == sum(STORED.values())
    assert s.asr.k / s.asr.n == doc["parameters"]["attack_success_rate"]
    assert transferred[0].attempt.attack_params["attack_type"] == kind


def _b(text: str, *, side: str = "harmful", source: str = "t@1", **meta: object) -> Behavior:
    return Behavior(
        id="x",
        text=text,
        side=side,  # type: ignore[arg-type]
        category="S1",
        source_category="t",
        source=source,
        meta=dict(meta),
    )


def test_matching_rules(mirror: Path) -> None:
    doc = json.loads(
        (mirror / "jbb_artifacts/attack-artifacts/PAIR/black_box/vicuna-13b-v1.5.json").read_text()
    )
    atk = get_attack("jbb-artifact:PAIR/black_box/vicuna-13b-v1.5")
    submitted = next(j for j in doc["jailbreaks"] if j["prompt"] is not None)
    skipped = next(j for j in doc["jailbreaks"] if j["prompt"] is None)
    [v] = atk.variants(_b(f"  {submitted['goal']} "))
    assert v.messages[-1].content == submitted["prompt"]
    assert v.params == {"artifact_index": submitted["index"]}
    assert atk.variants(_b(skipped["goal"])) == [], "no submission, no attempt"
    assert atk.variants(_b(submitted["goal"], side="benign")) == []
    assert atk.variants(_b("a request no artifact holds")) == []
    # A JBB-suite behavior whose goal was reworded later still matches, by its JBB Index.
    reworded = _b("reworded goal", source="jbb@886acc3", index=submitted["index"])
    assert atk.variants(reworded)[0].messages[-1].content == submitted["prompt"]
    assert atk.variants(_b("reworded goal", index=submitted["index"])) == []
    assert atk.params["artifact_asr"] == 0.69 and atk.params["attack_type"] == "black_box"


def test_unknown_model_and_bad_specs(mirror: Path, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"no PAIR artifact for this model; available: gpt-3\.5"):
        get_attack("jbb-artifact:PAIR/no-such-model")
    with pytest.raises(InputError, match="needs METHOD/MODEL"):
        get_attack("jbb-artifact:PAIR")
    with pytest.raises(InputError, match="not found in TIGHTROPE_DATA_DIR"):
        get_attack("jbb-artifact:PAIR/white_box/vicuna-13b-v1.5")


def test_a_changed_artifact_fails_its_pinned_checksum(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rel = Path("jbb_artifacts/attack-artifacts/PAIR/black_box/vicuna-13b-v1.5.json")
    copy = tmp_path / rel
    copy.parent.mkdir(parents=True)
    copy.write_text(
        (shared_data / rel).read_text().replace('"jailbroken": true', '"jailbroken": 1', 1)
    )
    monkeypatch.setenv("TIGHTROPE_DATA_DIR", str(tmp_path))
    with pytest.raises(InputError, match="does not match the pinned file"):
        get_attack("jbb-artifact:PAIR/vicuna-13b-v1.5")
