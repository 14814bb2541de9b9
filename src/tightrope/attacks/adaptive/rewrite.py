"""What the attacker-rewrite attacks share (past-tense, pap, translate): options, the attacker
model, the recorded parameters, and one rewrite call.

These attacks have the attacker model rewrite each request (into the past tense, a persuasive
paraphrase, another language) and send the rewrites to the target. They run in the adaptive
stage because the rewrite is a model call: every rewrite goes through the run store's response
cache with its own seed, so it is written once (for every target of the run, and for every
later run on the same store) and a killed run resumes without asking the attacker again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Self

from tightrope.attacks.adaptive import ADAPTIVE_MARK, LoopContext, Query, derived_seed
from tightrope.attacks.adaptive._base import OptionedAttack
from tightrope.errors import InputError
from tightrope.records import Behavior, GenerationConfig, Message, Response
from tightrope.targets import Target, parse_spec

REWRITE_OPTIONS: dict[str, type] = {
    "attacker": str,
    "seed": int,
    "attacker_max_tokens": int,
    "attacker_temperature": float,
}
RETRIES = 3


@dataclass(frozen=True)
class Rewritten:
    """A usable rewrite, or the reason there is none (`api`: the call itself failed)."""

    text: str | None
    error: str | None = None
    api: bool = False


def clean_rewrite(text: str) -> str:
    """Return a rewrite without the wrapping a chat model adds: code fences, quotes, a label."""
    t = text.strip()
    if t.startswith("```") and t.endswith("```") and len(t) >= 6:
        t = t[3:-3].strip()
    for label in ("Rewritten request:", "Reformulated request:", "Paraphrase:", "Translation:"):
        if t.lower().startswith(label.lower()):
            t = t[len(label) :].strip()
    if len(t) >= 2 and t[0] == t[-1] and t[0] in "\"'“”":
        t = t[1:-1].strip()
    return t


@dataclass(frozen=True)
class RewriteAttack(OptionedAttack):
    """Base of the rewrite attacks; subclasses define `run` and `prompt_version`."""

    prompt_version: str = "1"

    def budget(self) -> int:
        """Return the most target queries per behavior (overridden by each attack)."""
        return 1

    @property
    def params(self) -> dict[str, Any]:
        """Every option with its value, the attacker model, the prompt version and budget."""
        values = {k: self.opt(k) for k in sorted({*self.defaults, *self.options})}
        values.update(
            {
                "attacker": self.attacker_spec,
                "attacker_prompt_version": self.prompt_version,
                "budget": self.budget(),
                ADAPTIVE_MARK: True,
            }
        )
        return values

    def bind(self, *, attacker_model: str | None, judge_model: str | None) -> Self:
        """Return the attack with its attacker set from `attacker=` or --attacker-model."""
        options = dict(self.options)
        if not self.attacker_spec:
            if not attacker_model:
                raise InputError(
                    f"attack {self.name} needs an attacker model: give --attacker-model SPEC "
                    f"(e.g. openai:gpt-4o-mini) or attacker=SPEC in the attack spec"
                )
            options["attacker"] = attacker_model
        bound = replace(self, options=options)
        parse_spec(str(bound.attacker_spec))
        return bound

    def check_target(self, target: Target) -> None:
        """Any chat backend can be attacked."""

    def models(self) -> dict[str, str]:
        """Return the attacker model spec."""
        return {"attacker": str(self.attacker_spec)}

    async def rewrite(
        self,
        ctx: LoopContext,
        calls: Sequence[tuple[Sequence[Message], int]],
        *,
        temperature: float | None = None,
    ) -> list[Rewritten]:
        """Return one rewrite per (attacker messages, seed); an empty reply is asked again
        with a derived seed, up to 3 tries."""
        temp = float(self.opt("attacker_temperature")) if temperature is None else temperature
        out: list[Rewritten] = [Rewritten(text=None, error="not asked")] * len(calls)
        todo = list(range(len(calls)))
        for attempt in range(RETRIES):
            if not todo:
                break
            batch = [
                (
                    calls[i][0],
                    GenerationConfig(
                        temperature=temp,
                        top_p=1.0,
                        max_tokens=int(self.opt("attacker_max_tokens")),
                        seed=calls[i][1] if attempt == 0 else derived_seed(calls[i][1], attempt),
                    ),
                )
                for i in todo
            ]
            replies: list[Response] = await ctx.ask("attacker", str(self.attacker_spec), batch)
            still = []
            for i, reply in zip(todo, replies, strict=True):
                if not reply.ok:
                    out[i] = Rewritten(
                        text=None, error=f"attacker {self.attacker_spec}: {reply.error}", api=True
                    )
                    still.append(i)
                    continue
                text = clean_rewrite(reply.text or "")
                if not text:
                    out[i] = Rewritten(text=None, error="the attacker's rewrite was empty")
                    still.append(i)
                    continue
                out[i] = Rewritten(text=text)
            todo = still
        return out

    def query(self, position: str, text: str, **where: Any) -> Query:
        """Return the target query for a rewrite, its position recorded with the params."""
        return Query(
            position=position,
            messages=(Message(role="user", content=text),),
            params={**self.params, **where},
        )

    async def send(
        self,
        ctx: LoopContext,
        behavior: Behavior,
        items: Sequence[tuple[str, Rewritten, dict[str, Any]]],
    ) -> list[tuple[str, Response] | None]:
        """Send the usable rewrites (position, rewrite, params) to the target in one batch and
        store an error record for each one the attacker could not write (invariant 1).

        Returns (attempt id, response) per item, None where there was no rewrite.
        """
        usable = [(pos, rw, where) for pos, rw, where in items if rw.text is not None]
        results = await ctx.query(
            [self.query(pos, str(rw.text), **where) for pos, rw, where in usable]
        )
        for pos, rw, where in items:
            if rw.text is None:
                ctx.record_failure(
                    Query(
                        position=pos,
                        messages=(Message(role="user", content=behavior.text),),
                        params={**self.params, **where, "failed": "attacker"},
                    ),
                    str(rw.error),
                )
        by_pos = {pos: res for (pos, _, _), res in zip(usable, results, strict=True)}
        return [by_pos.get(pos) for pos, _, _ in items]


def parse_list(spec: str, key: str, value: str, allowed: Mapping[str, Any] | None) -> list[str]:
    """Split a `+`-separated option value; with `allowed`, every item must be one of its keys."""
    items = [v.strip() for v in value.split("+") if v.strip()]
    if not items:
        raise InputError(f"attack {spec}: {key} is empty")
    if allowed is not None:
        for item in items:
            if item not in allowed:
                valid = ", ".join(allowed)
                raise InputError(f"attack {spec}: unknown {key} {item!r}; valid: {valid}")
    return items
