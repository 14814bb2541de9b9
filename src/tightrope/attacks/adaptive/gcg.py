"""`gcg`: the GCG adversarial-suffix attack on white-box targets (`hf:` and `embedded:`).

For each harmful behavior the token search (gcg_search.py; Zou et al. 2023) looks for a suffix
that makes the target model likely to open its answer with the behavior's affirmative `target`
string (HarmBench and JailbreakBench supply one; otherwise "Sure, here is"). The attempt sent is
`request + " " + suffix`, answered with the run's generation settings and judged like any other.

Options: `gcg:suffix-len=20,steps=10,batch=16,topk=64,seed=0,retokenize=1`. The default budget
is small enough for a CPU (about 2.5 s a step for the embedded model on 2 cores); the paper used
500 steps with batches of 512, so ASR here is a lower bound of what GCG can do. The search result
is cached in the run store like a model call, so a resumed or repeated run does not search again.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from tightrope.attacks._base import attack, behavior_prompt
from tightrope.attacks.adaptive import (
    ADAPTIVE_MARK,
    AdaptiveAttack,
    LoopContext,
    Query,
    parse_options,
)
from tightrope.attacks.adaptive.attacker import DEFAULT_OPENING
from tightrope.attacks.adaptive.gcg_search import GcgResult, GcgSettings, gcg_search
from tightrope.errors import InputError
from tightrope.records import Behavior, Message
from tightrope.targets import Target

GCG_VERSION = "1"
DEFAULTS = GcgSettings(suffix_len=20, steps=10, batch=16, topk=64, seed=0, retokenize=True)
OPTIONS: dict[str, type] = {
    "suffix_len": int,
    "steps": int,
    "batch": int,
    "topk": int,
    "seed": int,
    "retokenize": int,
}


def white_box(target: Target) -> bool:
    """Return True when the target is a local transformers model the search can differentiate."""
    from tightrope.targets.hf import TransformersTarget

    return isinstance(target, TransformersTarget)


@dataclass(frozen=True)
class Gcg:
    """GCG against the run's own (white-box) target."""

    name: str
    settings: GcgSettings = DEFAULTS
    parallel_units: int = 1
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def params(self) -> dict[str, Any]:
        """The search budget and seed, the version of this implementation, the mark."""
        return {**asdict(self.settings), "gcg_version": GCG_VERSION, ADAPTIVE_MARK: True}

    def bind(self, *, attacker_model: str | None, judge_model: str | None) -> Gcg:
        """GCG needs no attacker model; the target is its own oracle."""
        return self

    def check_target(self, target: Target) -> None:
        """Raise InputError unless the target exposes weights and gradients."""
        if not white_box(target):
            raise InputError(
                f"attack {self.name} needs a white-box target (hf:PATH or embedded:smollm2); "
                f"{target.spec} gives no gradients"
            )

    def models(self) -> dict[str, str]:
        """GCG calls no model besides the target."""
        return {}

    async def run(self, behavior: Behavior, ctx: LoopContext) -> None:
        """Search a suffix for the behavior (cached), then query the target with it."""
        request = behavior_prompt(behavior)
        opening = behavior.target or DEFAULT_OPENING
        target = ctx.target
        system_prompt = ctx.generation.system_prompt
        payload = {
            "attack": "gcg",
            "params": self.params,
            "target": target.spec,
            "target_version": target.version,
            "request": request,
            "target_string": opening,
            "system_prompt": system_prompt,
        }

        def compute() -> str:
            from tightrope.targets.hf import TransformersTarget

            assert isinstance(target, TransformersTarget), "checked by check_target"
            tok, model = target.load()
            result = gcg_search(
                tok,
                model,
                request=request,
                target=opening,
                settings=self.settings,
                system_prompt=system_prompt,
            )
            return json.dumps(asdict(result))

        result = GcgResult(**json.loads(await ctx.computed(payload, compute)))
        await ctx.query(
            [
                Query(
                    position="suffix",
                    messages=(Message(role="user", content=f"{request} {result.suffix}"),),
                    params={
                        **self.params,
                        "suffix": result.suffix,
                        "target_string": opening,
                        "loss": round(result.best_loss, 6),
                        "initial_loss": round(result.initial_loss, 6),
                    },
                )
            ]
        )


@attack("gcg")
def gcg(arg: str | None = None) -> AdaptiveAttack:
    """GCG suffix search on hf:/embedded: targets (Zou et al. 2023): gcg[:steps=N,...]."""
    spec = f"gcg:{arg}" if arg else "gcg"
    options = parse_options(spec, arg, OPTIONS)
    for key in ("suffix_len", "steps", "batch", "topk"):
        if key in options and int(options[key]) < 1:
            raise InputError(f"attack {spec}: {key.replace('_', '-')} must be at least 1")
    values: dict[str, Any] = {**asdict(DEFAULTS), **options}
    values["retokenize"] = bool(values["retokenize"])
    return Gcg(name=spec, settings=GcgSettings(**values))
