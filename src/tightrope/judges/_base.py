"""The judge extension point: a typed protocol, a registry, and a helper for pure text judges."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from tightrope.errors import InputError
from tightrope.records import Behavior, JudgeKind, Message, Verdict, VerdictLabel
from tightrope.registry import JUDGES_GROUP, Registry


@dataclass(frozen=True)
class JudgeItem:
    """What a judge sees: the behavior that was asked and the text the target answered.

    `conversation` holds the messages the target was sent for this answer (the whole
    conversation of a multi-turn attack, or one user turn); judges whose protocol reads a
    conversation (Llama Guard 3) use it, the rest read the behavior and the answer only.
    Empty where no conversation is known (judge meta-evaluation, in-loop judges).
    """

    behavior: Behavior
    response: str
    conversation: tuple[Message, ...] = ()


@runtime_checkable
class Judge(Protocol):
    """Reads responses and returns one verdict per item, in order.

    A judge never raises for one bad item: it returns a verdict with label `error` and the
    reason, so a judge failure is never counted as a refusal or a verdict (invariant 1).
    """

    @property
    def name(self) -> str:
        """The registry name of the judge."""
        ...

    @property
    def version(self) -> str:
        """The prompt or rule version; stored with every verdict."""
        ...

    @property
    def kind(self) -> JudgeKind:
        """`refusal` (refusal / partial / compliance) or `harm` (unsafe / safe)."""
        ...

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Return one verdict per item, in the order given."""
        ...


judges: Registry[Judge] = Registry("judge", entry_point_group=JUDGES_GROUP)
judge = judges.register


@dataclass(frozen=True)
class TextJudge:
    """A judge that is a pure function of the response text (string matchers, rules)."""

    name: str
    version: str
    kind: JudgeKind
    classify: Callable[[str], VerdictLabel]

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Return the verdict of `classify` for each item; an exception becomes an error verdict."""
        out: list[Verdict] = []
        for item in items:
            try:
                label = self.classify(item.response)
                out.append(
                    Verdict(
                        judge=self.name, judge_version=self.version, kind=self.kind, label=label
                    )
                )
            except Exception as exc:
                out.append(
                    Verdict(
                        judge=self.name,
                        judge_version=self.version,
                        kind=self.kind,
                        label="error",
                        reason=f"{type(exc).__name__}: {exc}",
                    )
                )
        return out


def needs_model(name: str) -> bool:
    """Return True if the judge `name` is an LLM judge whose factory takes a `model`."""
    return "model" in inspect.signature(judges.get(name)).parameters


def get_judge(name: str, **kwargs: Any) -> Judge:
    """Return a new judge instance for a registered name (UnknownNameError lists valid ones).

    Keyword arguments go to the judge's factory: LLM judges take `model` (a target spec such
    as ``openai-compatible:http://127.0.0.1:8000/v1#MODEL``, or a Target) and target settings.
    A `model` given to a judge that takes none is ignored, so one ``--judge-model`` can serve a
    mix of judges; any other unknown keyword is an InputError.
    """
    factory = judges.get(name)
    params = inspect.signature(factory).parameters
    takes_any = any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params.values())
    if "model" not in params:
        kwargs.pop("model", None)
    unknown = sorted(k for k in kwargs if k not in params and not takes_any)
    if unknown:
        raise InputError(f"judge {name!r} takes no setting {unknown[0]!r}")
    return factory(**kwargs)


def error_verdicts(
    name: str, judge: Judge, n: int, exc: BaseException, *, what: str = "judge failed"
) -> list[Verdict]:
    """Return `n` error verdicts of judge `name` whose reason is `what` and `exc`: what a judge
    call that raised gives (invariant 1: a failed judge call is an error, never a label)."""
    reason = " ".join(str(exc).split())[:300]
    return [
        Verdict(
            judge=name,
            judge_version=judge.version,
            kind=judge.kind,
            label="error",
            reason=f"{what}: {type(exc).__name__}: {reason}",
        )
        for _ in range(n)
    ]
