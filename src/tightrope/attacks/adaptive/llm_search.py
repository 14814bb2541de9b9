"""What PAIR and TAP share: options, models, the recorded parameters, and the query helpers.

Both searches call an attacker model (`--attacker-model SPEC`, or `attacker=SPEC` in the attack
spec) and a judge model in the loop (`judge=SPEC`; default: the attacker model). Options are
given after the name, `pair:streams=5,iterations=3,max-queries=12`, and every one of them, the
models and the prompt versions are recorded in each attempt's `attack_params`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any, Self

from tightrope.attacks.adaptive import ADAPTIVE_MARK, LoopContext, Query, parse_options
from tightrope.attacks.adaptive._base import OptionedAttack
from tightrope.attacks.adaptive.attacker import ATTACKER_VERSION, Attacker, Failed, Proposal
from tightrope.attacks.adaptive.loop_judge import (
    DEFAULT_RATER,
    ON_TOPIC_VERSION,
    LoopJudge,
    check_rater,
)
from tightrope.errors import InputError
from tightrope.records import Behavior, Message, Response
from tightrope.targets import Target, parse_spec

COMMON_OPTIONS: dict[str, type] = {
    "attacker": str,
    "judge": str,
    "rater": str,
    "max_queries": int,
    "seed": int,
    "success_score": int,
    "keep_last": int,
    "attacker_max_tokens": int,
    "attacker_temperature": float,
}


@dataclass(frozen=True)
class LlmSearch(OptionedAttack):
    """Base of the attacker-judge searches; subclasses define `run` and their budget options."""

    @property
    def judge_spec(self) -> str | None:
        """The in-loop judge model spec: `judge=`, else --judge-model, else the attacker model."""
        value = self.opt("judge")
        return str(value) if value else self.attacker_spec

    @property
    def rater(self) -> str:
        """The registered judge that rates responses in the loop (default pair-rating)."""
        return str(self.opt("rater") or DEFAULT_RATER)

    @property
    def params(self) -> dict[str, Any]:
        """Every option with its value, the models, and the prompt versions."""
        values = {k: self.opt(k) for k in sorted({*self.defaults, *self.options})}
        values.update(
            {
                "attacker": self.attacker_spec,
                "judge": self.judge_spec,
                "rater": self.rater,
                "attacker_prompt_version": ATTACKER_VERSION,
                "on_topic_prompt_version": ON_TOPIC_VERSION,
                ADAPTIVE_MARK: True,
            }
        )
        return values

    def bind(self, *, attacker_model: str | None, judge_model: str | None) -> Self:
        """Return the attack with its models set: the attacker from `attacker=` or
        --attacker-model (InputError when neither is given), the in-loop judge from `judge=`,
        else --judge-model, else the attacker model."""
        options = dict(self.options)
        if not self.attacker_spec:
            if not attacker_model:
                raise InputError(
                    f"attack {self.name} needs an attacker model: give --attacker-model SPEC "
                    f"(e.g. openai:gpt-4o-mini) or attacker=SPEC in the attack spec"
                )
            options["attacker"] = attacker_model
        if not self.opt("judge") and judge_model:
            options["judge"] = judge_model
        bound = replace(self, options=options)
        for spec in (bound.attacker_spec, bound.judge_spec):
            parse_spec(str(spec))
        check_rater(bound.rater, self.name)
        return bound

    def check_target(self, target: Target) -> None:
        """Any backend can be attacked by a black-box search."""

    def models(self) -> dict[str, str]:
        """Return the attacker and judge model specs."""
        return {"attacker": str(self.attacker_spec), "judge": str(self.judge_spec)}

    def attacker(self) -> Attacker:
        """Return the attacker caller configured by the options."""
        return Attacker(
            spec=str(self.attacker_spec),
            temperature=float(self.opt("attacker_temperature")),
            max_tokens=int(self.opt("attacker_max_tokens")),
            keep_last=int(self.opt("keep_last")),
        )

    def judge(self) -> LoopJudge:
        """Return the in-loop judge configured by the options."""
        return LoopJudge(
            spec=str(self.judge_spec),
            rater=self.rater,
            success_score=int(self.opt("success_score")),
            seed=int(self.opt("seed")),
        )

    def query(self, position: str, proposal: Proposal, **where: Any) -> Query:
        """Return the target query for a proposal, its position recorded with the params."""
        return Query(
            position=position,
            messages=(Message(role="user", content=proposal.prompt),),
            params={**self.params, **where, "improvement": proposal.improvement},
        )

    def record_failed(
        self, ctx: LoopContext, behavior: Behavior, position: str, failed: Failed, **where: Any
    ) -> None:
        """Store an error record when the attacker call itself failed (not a bad reply)."""
        if failed.api:
            ctx.record_failure(
                Query(
                    position=position,
                    messages=(Message(role="user", content=behavior.text),),
                    params={**self.params, **where, "failed": "attacker"},
                ),
                failed.error,
            )


def assistant_turn(proposal: Proposal) -> Message:
    """Return the attacker's reply as it is kept in its history (normalised JSON)."""
    return Message(
        role="assistant",
        content=json.dumps(
            {"improvement": proposal.improvement, "prompt": proposal.prompt}, ensure_ascii=False
        ),
    )


def build(
    spec: str,
    arg: str | None,
    own: Mapping[str, type],
    defaults: Mapping[str, Any],
    *,
    positive: tuple[str, ...],
) -> dict[str, Any]:
    """Return a search's options parsed from `arg`; bad names or values raise InputError.

    `positive` names the budget options that must be at least 1.
    """
    options = parse_options(spec, arg, {**own, **COMMON_OPTIONS})
    merged = {**defaults, **options}
    if not 1 <= int(merged["success_score"]) <= 10:
        raise InputError(f"attack {spec}: success-score must be from 1 to 10")
    for key in positive:
        if int(merged[key]) < 1:
            raise InputError(f"attack {spec}: {key.replace('_', '-')} must be at least 1")
    return options


def ok_pairs(
    results: list[tuple[str, Response]],
) -> list[tuple[int, str, str]]:
    """Return (index in results, attempt id, response text) for the successful queries."""
    return [(i, aid, r.text or "") for i, (aid, r) in enumerate(results) if r.ok]
