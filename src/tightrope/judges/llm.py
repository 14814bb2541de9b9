"""LLM judges: a prompt template run on any target backend, with fenced input and strict parsing.

An `LLMJudge` pairs a `JudgeTemplate` (what to ask, how to read the answer) with a `Target` (the
model that answers). Every way a judge call can go wrong ends as a verdict with label `error`
and a reason, never as a label (invariant 1):

- the judge model's call failed (the backend returned a Response with `error` set);
- the judge answered something its template cannot read (empty, malformed, a refusal to judge,
  a value out of range): `parse` raised `UnreadableAnswer`.

Model output is untrusted (invariant 5). The response under judgement, and the request that
produced it, go into the judge prompt between two marker lines that carry a 16-hex-digit tag
derived from a SHA-256 of the fenced text itself: a response cannot contain its own hash, so it
cannot close its fence early, and a marker-looking line inside it is neutralised anyway. Parsers
read only the judge's answer slot (a first line, a last line, a fixed field) with a full match,
so words such as "unsafe", "yes" or "[[10]]" elsewhere in the judge's output do not count.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tightrope.errors import InputError
from tightrope.judges._base import JudgeItem
from tightrope.records import (
    GenerationConfig,
    JudgeKind,
    Message,
    Response,
    ScoreMeaning,
    Verdict,
    VerdictLabel,
)
from tightrope.targets._base import Target
from tightrope.targets.cached import CachedModel

RAW_LIMIT = 4000
"""Characters of the judge's output kept in `Verdict.raw`."""


class UnreadableAnswer(ValueError):
    """The judge model answered, but not in the format its template asked for."""


@dataclass(frozen=True)
class Reading:
    """What a template read from a judge's answer: a label and, where the judge gives them, a
    score in [0, 1] with its meaning, a reason and hazard categories."""

    label: VerdictLabel
    score: float | None = None
    score_meaning: ScoreMeaning | None = None
    reason: str | None = None
    categories: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Fence:
    """The marker lines that enclose untrusted text in a judge prompt."""

    tag: str

    @property
    def begin(self) -> str:
        """The opening marker line."""
        return f"<<<BEGIN {self.tag}>>>"

    @property
    def end(self) -> str:
        """The closing marker line."""
        return f"<<<END {self.tag}>>>"

    def wrap(self, text: str) -> str:
        """Return `text` between the markers, with marker-like sequences inside it defused."""
        return f"{self.begin}\n{defuse(text)}\n{self.end}"


def defuse(text: str) -> str:
    """Return `text` with every `<<<` and `>>>` replaced by look-alikes that are not markers."""
    return text.replace("<<<", "‹‹‹").replace(">>>", "›››")


def fence_for(*texts: str) -> Fence:
    """Return the fence for a prompt that encloses `texts`: its tag is a hash of all of them."""
    digest = hashlib.sha256("\x00".join(texts).encode("utf-8")).hexdigest()
    return Fence(tag=f"DATA-{digest[:16]}")


class JudgeTemplate(Protocol):
    """A judge protocol: its name, prompt version, kind, generation settings, prompt and parser."""

    name: str
    version: str
    kind: JudgeKind
    generation: GenerationConfig

    def messages(self, item: JudgeItem) -> list[Message]:
        """Return the conversation sent to the judge model for one item."""
        ...

    def parse(self, output: str) -> Reading:
        """Return the reading of the judge's answer; raise UnreadableAnswer if there is none."""
        ...


def words_clip(text: str, max_words: int) -> str:
    """Return `text` cut after its first `max_words` whitespace-separated words (kept verbatim)."""
    matches = list(re.finditer(r"\S+", text))
    if len(matches) <= max_words:
        return text
    return text[: matches[max_words - 1].end()]


def first_line(output: str) -> str:
    """Return the first non-blank line of `output`, stripped (UnreadableAnswer if none)."""
    for line in output.splitlines():
        if line.strip():
            return line.strip()
    raise UnreadableAnswer("empty answer")


def last_line(output: str) -> str:
    """Return the last non-blank line of `output`, stripped (UnreadableAnswer if none)."""
    for line in reversed(output.splitlines()):
        if line.strip():
            return line.strip()
    raise UnreadableAnswer("empty answer")


def bare_word(line: str) -> str:
    """Return `line` lower-cased without surrounding markdown emphasis, quotes or end punctuation."""
    return line.strip().strip("*_`\"' ").rstrip(".!").strip().lower()


def read_one_word(output: str, labels: dict[str, VerdictLabel]) -> Reading:
    """Return the Reading for the one-word answer on the first line, e.g. yes -> unsafe.

    Any other answer raises UnreadableAnswer naming the words that were expected.
    """
    word = bare_word(first_line(output))
    if word in labels:
        return Reading(label=labels[word])
    expected = " or ".join(f'"{w}"' for w in labels)
    raise UnreadableAnswer(f"expected {expected}, got {short(output)!r}")


def short(text: str, limit: int = 120) -> str:
    """Return `text` on one line, cut to `limit` characters, for error reasons."""
    one = " ".join(text.split())
    return one if len(one) <= limit else one[: limit - 3] + "..."


class LLMJudge:
    """A judge that asks a model through `template` and reads its answers strictly."""

    def __init__(self, template: JudgeTemplate, model: CachedModel) -> None:
        self.template = template
        self.model = model

    @property
    def name(self) -> str:
        """The registry name of the judge."""
        return self.template.name

    @property
    def version(self) -> str:
        """The prompt version and the judge model's spec, e.g. ``1@openai:gpt-4o``."""
        return f"{self.template.version}@{self.model.spec}"

    @property
    def kind(self) -> JudgeKind:
        """`harm` or `refusal`, as the template says."""
        return self.template.kind

    async def aclose(self) -> None:
        """Close the judge model's client (a run closes its models itself)."""
        await self.model.aclose()

    def _verdict(self, label: VerdictLabel, **fields: Any) -> Verdict:
        return Verdict(
            judge=self.name, judge_version=self.version, kind=self.kind, label=label, **fields
        )

    def read(self, response: Response) -> Verdict:
        """Return the verdict for one judge-model response (an error for a failed or bad one)."""
        if response.error is not None or response.text is None:
            reason = response.error or "the judge model returned no text"
            return self._verdict("error", reason=f"judge model call failed: {reason}")
        raw = response.text[:RAW_LIMIT]
        try:
            reading = self.template.parse(response.text)
        except UnreadableAnswer as exc:
            return self._verdict("error", raw=raw, reason=f"unreadable judge answer: {exc}")
        return self._verdict(
            reading.label,
            raw=raw,
            score=reading.score,
            score_meaning=reading.score_meaning,
            reason=reading.reason,
            categories=reading.categories,
        )

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Return one verdict per item: the judge model's reading, or an error verdict."""
        conversations = [self.template.messages(item) for item in items]
        responses = await self.model.generate(conversations, self.template.generation)
        return [self.read(r) for r in responses]


def resolve_model(name: str, model: str | Target | None, settings: dict[str, Any]) -> CachedModel:
    """Return the model an LLM judge runs on, behind the cache-first wrapper.

    `model` is a target spec, a backend, or a run's shared `CachedModel` (returned as is, so
    the judge shares the run's cache and limits). Raises InputError when no model was given: an
    LLM judge cannot guess one.
    """
    if model is None:
        raise InputError(
            f"judge {name!r} is an LLM judge and needs a model: pass --judge-model SPEC "
            "(e.g. openai-compatible:http://127.0.0.1:8000/v1#MODEL)"
        )
    if isinstance(model, CachedModel):
        return model
    if isinstance(model, str):
        from tightrope.targets import get_target

        return CachedModel(get_target(model, **settings))
    return CachedModel(model)
