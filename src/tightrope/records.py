"""Core records of a run, one pydantic model each (DESIGN.md, "Core records").

Everything that lands in the run store is one of these models serialised to JSON, so the store,
the reports and the Python API all read the same shapes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, model_validator

Side = Literal["harmful", "benign"]
Role = Literal["system", "user", "assistant"]
RefusalLabel = Literal["refusal", "compliance", "partial"]
HarmLabel = Literal["unsafe", "safe"]
VerdictLabel = Literal["refusal", "compliance", "partial", "unsafe", "safe", "error"]
JudgeKind = Literal["refusal", "harm"]
# What a verdict's score means (docs/judges.md, "Scores"): `harm` is in [0, 1], higher is more
# harmful (StrongREJECT, PAIR's rating rescaled, a harm classifier's P(unsafe)); `refusal` is a
# probability of refusal (refusal-clf's P(refusal), a refusal panel's mean). Metrics read only
# the meaning they need (goodness@k reads `harm`), never "the first judge with a score".
ScoreMeaning = Literal["harm", "refusal"]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# Field-name sets shared by behaviors that set the same fields (see Behavior.model_post_init).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


class Behavior(_Record):
    """One prompt of a suite: a harmful request or its harmless look-alike."""

    id: str
    text: str
    side: Side
    category: str = Field(description="tightrope taxonomy code, Llama Guard 3 S1-S14")
    source_category: str = Field(description="the category as the dataset wrote it")
    source: str = Field(description="dataset name and version, e.g. 'starter@1'")
    context: str | None = None
    pair_id: str | None = None
    target: str | None = Field(default=None, description="affirmative prefix for optimisers")
    meta: dict[str, Any] = Field(default_factory=dict)

    def model_post_init(self, context: Any, /) -> None:
        """Share what a large suite repeats in every behavior, to halve its memory.

        A 100k-prompt suite is held whole while a run is planned; pydantic gives each instance
        its own set of field names (~700 bytes) and its own copies of the side, category and
        source strings. Equal sets are shared (pydantic copies the set before changing it, and
        the model is frozen) and those strings interned.
        """
        d = self.__dict__
        for name in ("side", "category", "source_category", "source"):
            d[name] = sys.intern(d[name])
        key = frozenset(self.__pydantic_fields_set__)
        shared = _FIELDS_SETS.get(key)
        if shared is None:
            shared = _FIELDS_SETS[key] = set(key)
        object.__setattr__(self, "__pydantic_fields_set__", shared)


class Message(_Record):
    """One chat message as sent to a target."""

    role: Role
    content: str


class GenerationConfig(_Record):
    """Generation parameters. Defaults follow JailbreakBench: greedy, 150 new tokens."""

    temperature: float = 0.0
    max_tokens: int = 150
    top_p: float = 1.0
    seed: int = 0
    system_prompt: str | None = None


class Attempt(_Record):
    """The messages actually sent for a behavior, after an attack transformed it."""

    id: str
    behavior_id: str
    target: str
    attack: str = "direct"
    attack_params: dict[str, Any] = Field(default_factory=dict)
    index: int = 0
    messages: tuple[Message, ...]


class Usage(_Record):
    """Token counts of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class Response(_Record):
    """What a target answered. A failed call has `error` set and no text (invariant 1)."""

    text: str | None = None
    finish_reason: str | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when the call produced text; False for a recorded failure."""
        return self.error is None and self.text is not None


class Verdict(_Record):
    """A judge's reading of one response: a label, or `error` with the reason in `raw`."""

    judge: str
    judge_version: str
    kind: JudgeKind
    label: VerdictLabel
    score: float | None = None
    raw: str | None = None
    reason: str | None = None
    categories: tuple[str, ...] = Field(
        default=(), description="hazard codes a judge named (Llama Guard 3: S1-S14)"
    )
    score_meaning: ScoreMeaning | None = Field(
        default=None, description="what `score` measures; set whenever `score` is"
    )

    @model_validator(mode="before")
    @classmethod
    def _declare_meaning(cls, data: Any) -> Any:
        """Give a score without a declared meaning its judge kind's meaning.

        Verdicts stored before scores were typed carry none; every built-in judge's score
        meant what its kind says (a harm judge's score is harm, refusal-clf's is P(refusal)).
        A meaning without a score is dropped, so `score_meaning` is set exactly when `score` is.
        """
        if isinstance(data, dict):
            if data.get("score") is None:
                if data.get("score_meaning") is not None:
                    data = {**data, "score_meaning": None}
            elif data.get("score_meaning") is None and data.get("kind") in ("harm", "refusal"):
                data = {**data, "score_meaning": data["kind"]}
        return data

    @property
    def ok(self) -> bool:
        """True when the judge produced a usable label."""
        return self.label != "error"


class Record(_Record):
    """One behavior x target x attack x attempt, with its response and verdicts."""

    run_id: str
    behavior: Behavior
    attempt: Attempt
    response: Response | None = None
    verdicts: dict[str, Verdict] = Field(default_factory=dict)


class Judged(NamedTuple):
    """The few fields of a record that the rates need.

    Large runs stream these from SQLite (`Store.judged`) instead of building `Record`s, which
    keeps a 100k-record run's memory flat. A missing response or verdict is None.
    """

    behavior_id: str
    side: str
    category: str
    target: str
    attack: str
    response_ok: bool | None
    refusal_label: str | None
    harm_label: str | None


def stable_hash(payload: Any) -> str:
    """Return the SHA-256 hex digest of `payload` as canonical JSON.

    Used for cache keys and fingerprints: key order and whitespace never change the hash.
    """
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
