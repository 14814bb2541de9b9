"""Core records of a run, one pydantic model each (DESIGN.md, "Core records").

Everything that lands in the run store is one of these models serialised to JSON, so the store,
the reports and the Python API all read the same shapes.
"""

from __future__ import annotations

import hashlib
import json
import sys
from typing import Annotated, Any, Literal, NamedTuple

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    model_serializer,
    model_validator,
)

# `choice`: a multiple-choice item (BBQ, later WMDP), scored by the option the reply names.
Side = Literal["harmful", "benign", "choice"]
# `tool`: content a tool or a document returned (a web page, a file, an e-mail) that the model
# reads in the conversation; each backend sends it in its API's own form (targets/roles.py).
Role = Literal["system", "user", "assistant", "tool"]
RefusalLabel = Literal["refusal", "compliance", "partial"]
HarmLabel = Literal["unsafe", "safe"]
VerdictLabel = Literal[
    "refusal", "compliance", "partial", "unsafe", "safe", "correct", "incorrect", "error"
]
JudgeKind = Literal["refusal", "harm", "choice"]
# The one judge of multiple-choice items (judges/choice.py): it alone judges `choice`-side
# behaviors, and it judges nothing else (`judge_applies`).
CHOICE_JUDGE = "choice"
# What a verdict's score means (docs/judges.md, "Scores"): `harm` is in [0, 1], higher is more
# harmful (StrongREJECT, PAIR's rating rescaled, a harm classifier's P(unsafe)); `refusal` is a
# probability of refusal (refusal-clf's P(refusal), a refusal panel's mean). Metrics read only
# the meaning they need (goodness@k reads `harm`), never "the first judge with a score".
ScoreMeaning = Literal["harm", "refusal"]


def clean_text(text: str) -> str:
    """Return `text` with lone surrogate code points replaced by U+FFFD (a split pair is joined).

    A hostile endpoint (or a JSON file) can produce a str with `\\ud800` in it; such text
    cannot be written as UTF-8, so it would crash the store on every rerun. Valid text is
    returned as it is (one encode, no copy).
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")
    return text


def clean_value(value: Any) -> Any:
    """Return a JSON-like value with every string in it passed through `clean_text`."""
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_value(k): clean_value(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return type(value)(clean_value(v) for v in value)
    return value


# Text that reaches the store from files or models: always encodable as UTF-8.
Text = Annotated[str, AfterValidator(clean_text)]
JsonDict = Annotated[dict[str, Any], AfterValidator(clean_value)]


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Message(_Record):
    """One chat message as sent to a target.

    `name` names the tool of a `tool` message (e.g. `read_email`); it is left out of the
    serialised form when unset, so the cache keys of plain messages never changed.
    """

    role: Role
    content: Text
    name: Text | None = None

    @model_serializer(mode="wrap")
    def _drop_unset_name(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        if data.get("name") is None:
            data.pop("name", None)
        return data


# Field-name sets shared by behaviors that set the same fields (see Behavior.model_post_init).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


class Behavior(_Record):
    """One prompt of a suite: a harmful request or its harmless look-alike."""

    id: Text
    text: Text
    side: Side
    category: str = Field(description="tightrope taxonomy code, Llama Guard 3 S1-S14")
    source_category: str = Field(description="the category as the dataset wrote it")
    source: str = Field(description="dataset name and version, e.g. 'starter@1'")
    context: Text | None = None
    pair_id: Text | None = None
    target: Text | None = Field(default=None, description="affirmative prefix for optimisers")
    meta: JsonDict = Field(default_factory=dict)
    conversation: tuple[Message, ...] = Field(
        default=(),
        description="messages sent before the behavior's own turn: a system message, earlier "
        "turns, tool or document content",
    )
    after: tuple[Message, ...] = Field(
        default=(),
        description="messages sent after the behavior's own turn (Tensor Trust's closing defense)",
    )
    choices: tuple[Text, ...] | None = Field(
        default=None, description="the options of a multiple-choice (`choice`-side) item"
    )
    answer: int | None = Field(default=None, description="index of the correct option")

    @model_validator(mode="after")
    def _choice_fields(self) -> Behavior:
        """A `choice`-side behavior has two or more options and a correct index among them;
        no other behavior has options."""
        if self.side == "choice":
            if not self.choices or len(self.choices) < 2:
                raise ValueError("a choice-side behavior needs two or more choices")
            if self.answer is None or not 0 <= self.answer < len(self.choices):
                raise ValueError("a choice-side behavior needs answer = index of a choice")
        elif self.choices is not None or self.answer is not None:
            raise ValueError("only choice-side behaviors have choices and an answer")
        return self

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


class GenerationConfig(_Record):
    """Generation parameters. Defaults follow JailbreakBench: greedy, 150 new tokens."""

    temperature: float = Field(default=0.0, ge=0.0)
    max_tokens: int = Field(default=150, ge=1)
    top_p: float = Field(default=1.0, gt=0.0, le=1.0)
    seed: int = 0
    system_prompt: str | None = None


class Attempt(_Record):
    """The messages actually sent for a behavior, after an attack transformed it."""

    id: str
    behavior_id: str
    target: str
    attack: str = "direct"
    attack_params: JsonDict = Field(default_factory=dict)
    index: int = 0
    messages: tuple[Message, ...]


class Usage(_Record):
    """Token counts of one call."""

    prompt_tokens: int = 0
    completion_tokens: int = 0


class Response(_Record):
    """What a target answered. A failed call has `error` set and no text (invariant 1).

    A reply a provider's safety filter stopped has `filtered` set to the provider's reason (and
    whatever text came through, often none): an outcome, not an error. It is not judged; the
    rates count it as not unsafe on the harmful side and as a refusal on the benign side.

    A multiple-choice item scored by log-likelihood (`--choice-scoring loglik`) has the chosen
    option's letter as `text`, finish reason `loglik`, and every option's log-probability in
    `option_logprobs`; that field is left out of the serialised form when unset, so every
    other stored response (and the cache) is unchanged.
    """

    text: Text | None = None
    finish_reason: Text | None = None
    usage: Usage = Field(default_factory=Usage)
    latency_s: float = 0.0
    error: Text | None = None
    filtered: Text | None = None
    translation: Text | None = Field(
        default=None,
        description="the text translated back by an attack that wrote the prompt in another "
        "language (translate): what judges read; `text` stays the target's own answer",
    )
    option_logprobs: dict[str, float] | None = Field(
        default=None, description="log P(option letter | prompt) per option (loglik scoring)"
    )

    @model_serializer(mode="wrap")
    def _drop_unset_fields(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        data: dict[str, Any] = handler(self)
        for name in ("translation", "option_logprobs"):
            if data.get(name) is None:
                data.pop(name, None)
        return data

    @property
    def ok(self) -> bool:
        """True when the call produced text; False for a recorded failure."""
        return self.error is None and self.text is not None

    @property
    def judged_text(self) -> str | None:
        """The text judges read: the back-translation when there is one, else `text`."""
        return self.translation if self.translation is not None else self.text


class Verdict(_Record):
    """A judge's reading of one response: a label, or `error` with the reason in `raw`."""

    judge: str
    judge_version: str
    kind: JudgeKind
    label: VerdictLabel
    score: float | None = None
    raw: Text | None = None
    reason: Text | None = None
    categories: tuple[str, ...] = Field(
        default=(), description="hazard codes a judge named (Llama Guard 3: S1-S14)"
    )
    score_meaning: ScoreMeaning | None = Field(
        default=None, description="what `score` measures; set whenever `score` is"
    )
    choice: int | None = Field(
        default=None, description="the option a multiple-choice reply named (kind `choice`)"
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
    # True when a provider's safety filter stopped the reply (Response.filtered).
    filtered: bool = False


def judge_applies(judge: str, side: str) -> bool:
    """Return True when the judge named `judge` judges behaviors of `side`.

    The choice judge reads multiple-choice replies only; every other judge (refusal, harm)
    reads the harmful and benign sides only.
    """
    return (judge == CHOICE_JUDGE) == (side == "choice")


def stable_hash(payload: Any) -> str:
    """Return the SHA-256 hex digest of `payload` as canonical JSON.

    Used for cache keys and fingerprints: key order and whitespace never change the hash.
    """
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
