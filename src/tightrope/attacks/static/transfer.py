"""`jbb-artifact:METHOD/MODEL`: transfer the jailbreaks recorded in a JailbreakBench artifact.

JailbreakBench (Chao et al. 2024) publishes, per attack method and attacked model, the prompt
the attack finally submitted for each of its 100 behaviors. This attack sends those prompts to
a new target: for a harmful behavior whose text equals an artifact record's `goal`, the attempt
is that record's jailbreak `prompt`. Behaviors of tightrope's `jbb` suites match by their JBB
Index instead, never by text: JBB reworded some goals (and behavior names) after artifacts were
recorded, which left 5 of 100 behaviors of GCG's transfer artifacts unmatched by text. A record with a null prompt (the attack submitted nothing) gives no attempt; the
ASR-by-attack table counts such a behavior as not jailbroken, as JailbreakBench does.

The artifact is read from `TIGHTROPE_DATA_DIR/jbb_artifacts/attack-artifacts/METHOD/TYPE/
MODEL.json` when that mirror is set, else downloaded once from the JailbreakBench/artifacts
repository into the user cache and checked against a pinned SHA-256 where tightrope knows it
(the 12 PAIR, prompt-with-random-search and JBC files; others are hashed on first download).
`METHOD/TYPE/MODEL` names the attack type explicitly; with `METHOD/MODEL` it is looked up.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from tightrope.attacks._base import Attack, Variant, attack
from tightrope.datasets.remote import RemoteFile, is_present, read_verified
from tightrope.errors import InputError
from tightrope.records import Behavior, Message

BASE_URL = "https://raw.githubusercontent.com/JailbreakBench/artifacts/main"
ROOT = "jbb_artifacts/attack-artifacts"
ATTACK_TYPES = ("black_box", "white_box", "manual", "transfer")
_PINS = {
    "JBC/attack-info.json": "683aa8b794bf1f7056c3fa50c57b424a538ec4fd37f68c52d311817fc6c3b401",
    "JBC/manual/gpt-3.5-turbo-1106.json": (
        "5999b8f2fc5e85fd4f7d6553abaeaa66f2dc10c5354faa41622e511c08eab871"
    ),
    "JBC/manual/gpt-4-0125-preview.json": (
        "1785f7cf838522461b5b9af3fa606715ecf55c194581f4c8c5c9f1945b59db05"
    ),
    "JBC/manual/llama-2-7b-chat-hf.json": (
        "1607a5a5b9f50abc7f2ff9e07b7257dfde7228b88cfdf73c20f5f56108ffdd23"
    ),
    "JBC/manual/vicuna-13b-v1.5.json": (
        "1d5df5aa451c3d1bb8a4c048a7b2e1e6132e72f2970cb9d94ffc77f44e0edb39"
    ),
    "PAIR/attack-info.json": "35e05d14b8368210300c800ad33c9a980c3cd70ba3134252bea51da714f2c56c",
    "PAIR/black_box/gpt-3.5-turbo-1106.json": (
        "49e007ce488e606cede7ffc8b022e35080b7f3870956e4cb2423d9b42749c78f"
    ),
    "PAIR/black_box/gpt-4-0125-preview.json": (
        "6dd214eee78184daf048ac8af166641724b49fd25bc831e5d7201469c162004d"
    ),
    "PAIR/black_box/llama-2-7b-chat-hf.json": (
        "02819296c5d992568d732d37813b2ce34624068a20f21025c04c04d52820b029"
    ),
    "PAIR/black_box/vicuna-13b-v1.5.json": (
        "18b101386419a98fbdf45cb987069f83af3a40d5e0f7f0d32c4e9dc5ecc049b4"
    ),
    "prompt_with_random_search/attack-info.json": (
        "35e05d14b8368210300c800ad33c9a980c3cd70ba3134252bea51da714f2c56c"
    ),
    "prompt_with_random_search/black_box/gpt-3.5-turbo-1106.json": (
        "d4a0691eda37b02dc948b6d6d08460f7d5cd3f15099121b388a58634ffb7bd76"
    ),
    "prompt_with_random_search/black_box/gpt-4-0125-preview.json": (
        "4a0573dba6823c676cab99ed54b8191244080883948270fac9b75255b7c69206"
    ),
    "prompt_with_random_search/black_box/llama-2-7b-chat-hf.json": (
        "45df98af6e1c0e35747f6b9c80cdc606e96c76a511e09a1a49ad5b00cfb51c0a"
    ),
    "prompt_with_random_search/black_box/vicuna-13b-v1.5.json": (
        "9d87a56659f617438feb5770bb2c8e4c2dbbd1bd62964f2c1a8775988017ac5d"
    ),
}


def artifact_file(relative: str) -> RemoteFile:
    """Return the data file `attack-artifacts/RELATIVE` (pinned where tightrope knows it)."""
    return RemoteFile(
        dataset="jbb-artifacts",
        path=f"{ROOT}/{relative}",
        url=f"{BASE_URL}/attack-artifacts/{relative}",
        sha256=_PINS.get(relative),
        revision="main",
    )


def _attack_type(method: str, model: str) -> str:
    for kind in ATTACK_TYPES:
        if is_present(artifact_file(f"{method}/{kind}/{model}.json")):
            return kind
    info = json.loads(read_verified(artifact_file(f"{method}/attack-info.json")))
    models = info.get("models", {}) if isinstance(info, dict) else {}
    kinds = models.get(model)
    if not kinds:
        raise InputError(
            f"jbb-artifact:{method}/{model}: JailbreakBench has no {method} artifact for this "
            f"model; available: {', '.join(sorted(models)) or 'none'}"
        )
    return str(kinds[0])


@dataclass(frozen=True)
class Entry:
    """One artifact record: its index, JBB behavior name, and the prompt (None: not submitted)."""

    index: int
    behavior: str
    prompt: str | None


@dataclass(frozen=True)
class JbbTransfer:
    """Replays an artifact's jailbreak prompts against the run's targets."""

    name: str
    by_goal: dict[str, Entry]
    by_index: dict[int, Entry]
    params: dict[str, Any] = field(default_factory=dict)

    def entry(self, behavior: Behavior) -> Entry | None:
        """Return the artifact record for a harmful behavior, or None when it has none.

        A JBB behavior (source `jbb@...`) matches by its Index; any other by its goal text.
        """
        if behavior.side != "harmful":
            return None
        index = behavior.meta.get("index")
        if behavior.source.startswith("jbb@") and isinstance(index, int):
            return self.by_index.get(index)
        return self.by_goal.get(behavior.text.strip())

    def variants(self, behavior: Behavior) -> list[Variant]:
        """Return the recorded jailbreak prompt; none when unmatched or never submitted."""
        found = self.entry(behavior)
        if found is None or found.prompt is None:
            return []
        return [
            Variant(
                messages=(Message(role="user", content=found.prompt),),
                params={"artifact_index": found.index},
            )
        ]


def load_artifact(method: str, kind: str, model: str) -> tuple[dict[str, Any], str]:
    """Return the artifact document and its SHA-256; malformed files raise InputError."""
    f = artifact_file(f"{method}/{kind}/{model}.json")
    data = read_verified(f)
    try:
        doc = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{f.path}: not valid JSON ({exc})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("jailbreaks"), list):
        raise InputError(f"{f.path}: not a JailbreakBench artifact (no 'jailbreaks' list)")
    return doc, hashlib.sha256(data).hexdigest()


@attack("jbb-artifact")
def jbb_artifact(arg: str | None = None) -> Attack:
    """Transfer a JailbreakBench artifact's prompts: jbb-artifact:METHOD/MODEL."""
    parts = (arg or "").split("/")
    if len(parts) not in (2, 3) or not all(parts):
        raise InputError(
            "jbb-artifact needs METHOD/MODEL, e.g. --attack jbb-artifact:PAIR/vicuna-13b-v1.5"
        )
    method, model = parts[0], parts[-1]
    kind = parts[1] if len(parts) == 3 else _attack_type(method, model)
    doc, digest = load_artifact(method, kind, model)
    by_goal: dict[str, Entry] = {}
    by_index: dict[int, Entry] = {}
    for i, rec in enumerate(doc["jailbreaks"]):
        if not isinstance(rec, dict) or not isinstance(rec.get("goal"), str):
            raise InputError(f"{ROOT}/{method}/{kind}/{model}.json: record {i} has no goal")
        prompt = rec.get("prompt")
        index = rec.get("index", i)
        if not isinstance(index, int) or isinstance(index, bool):
            raise InputError(
                f"{ROOT}/{method}/{kind}/{model}.json: record {i} has index {index!r}; "
                "an index is a whole number (the JBB behavior's row), fix or drop it"
            )
        entry = Entry(
            index=index,
            behavior=str(rec.get("behavior", "")),
            prompt=prompt if isinstance(prompt, str) else None,
        )
        by_goal.setdefault(rec["goal"].strip(), entry)
        by_index.setdefault(entry.index, entry)
    parameters = doc.get("parameters", {}) if isinstance(doc.get("parameters"), dict) else {}
    return JbbTransfer(
        name=f"jbb-artifact:{arg}",
        by_goal=by_goal,
        by_index=by_index,
        params={
            "method": method,
            "attack_type": kind,
            "model": model,
            "artifact_sha256": digest,
            "artifact_asr": parameters.get("attack_success_rate"),
        },
    )
