"""`tightrope run --dry-run`: the size of a run, its calls, tokens and cost, before any call.

Everything is estimated from the resolved run without calling a model: the static plan is built
(attacks are transforms), each call's input tokens are its characters / 4, its output tokens
`--max-tokens` (an upper bound), and adaptive attacks count their full budget per harmful
behavior (an upper bound: a search stops at its first success). Calls the store's cache already
answers are counted apart and cost nothing. LLM judges make one call per response.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tightrope.records import GenerationConfig
from tightrope.run.budget import prompt_tokens
from tightrope.run.plan import plan
from tightrope.run.pricing import RoleUsage, load_prices, usage_totals
from tightrope.run.resolution import ResolvedRun
from tightrope.store.schema import STORE_FILENAME

# Tokens a judge prompt adds around the behavior and response, and a judge's answer.
JUDGE_TEMPLATE_TOKENS = 400
JUDGE_ANSWER_TOKENS = 16


@dataclass
class Estimate:
    """What a run would do: its plan's size and, per role and model, calls, tokens and cost."""

    behaviors: int
    targets: int
    attacks: int
    judges: int
    static_attempts: int
    adaptive_queries: int
    cached: int
    usage: list[RoleUsage] = field(default_factory=list)

    @property
    def cost_usd(self) -> float | None:
        """The total estimated cost; None when some model has no price."""
        costs = [u.cost_usd for u in self.usage]
        return None if any(c is None for c in costs) else sum(c or 0.0 for c in costs)


def adaptive_budget(attack: object) -> int:
    """Return the most target queries an adaptive attack makes per behavior."""
    budget = getattr(attack, "budget", None)
    cap = budget() if callable(budget) else None
    if isinstance(cap, int):
        return cap
    opt = getattr(attack, "opt", None)
    if callable(opt) and opt("depth") is not None:  # TAP without max_queries: the whole tree
        return int(opt("depth")) * int(opt("width")) * int(opt("branching"))
    return 1  # GCG: one query of the optimised prompt (its search runs locally)


def estimate(resolved: ResolvedRun, out: Path | None = None) -> Estimate:
    """Return the estimate of `resolved`; reads the cache under `out` if a store exists there."""
    config = resolved.config
    gen: GenerationConfig = config.generation
    behaviors = [b for s in resolved.suites for b in s.behaviors]
    harmful = [b for b in behaviors if b.side == "harmful"]
    cached: set[str] = set()
    rows: list[tuple[str, str, int, int]] = []  # role, spec, tokens in, tokens out
    attempts = list(plan(behaviors, resolved.targets, resolved.static_attacks, gen))
    if out is not None and config.cache in ("read-write", "read-only"):
        db = out if out.suffix == ".db" else out / STORE_FILENAME
        if db.is_file():
            from tightrope.store import Store

            store = Store.open(db)
            try:
                cached = set(store.cached(k for _, k in attempts))
            finally:
                store.close()
    hits = sum(k in cached for _, k in attempts)
    for a, key in attempts:
        if key not in cached:
            rows.append(("target", a.target, prompt_tokens(a.messages, gen), gen.max_tokens))
    responses = len(attempts)
    adaptive = 0
    for atk in resolved.adaptive_attacks:
        per = adaptive_budget(atk)
        for t in resolved.targets:
            for b in harmful:
                adaptive += per
                tokens_in = -(-len(b.text) // 4) + 200
                rows += [("target", t.spec, tokens_in, gen.max_tokens)] * per
                for role, spec in atk.models().items():
                    rows += [(role, spec, tokens_in + 300, 500)] * per
    responses += adaptive
    llm_judges = [
        (name, j.model.spec)
        for name, j in resolved.judges.items()
        if hasattr(j, "model") and hasattr(j.model, "spec")
    ]
    for _name, spec in llm_judges:
        rows += [("judge", spec, JUDGE_TEMPLATE_TOKENS + gen.max_tokens, JUDGE_ANSWER_TOKENS)] * (
            responses
        )
    prices = load_prices()
    usage: list[RoleUsage] = []
    for role in dict.fromkeys(r for r, _, _, _ in rows):
        usage += usage_totals(role, ((s, i, o) for r, s, i, o in rows if r == role), prices)
    return Estimate(
        behaviors=len(behaviors),
        targets=len(config.targets),
        attacks=len(config.attacks),
        judges=len(resolved.judges),
        static_attempts=len(attempts),
        adaptive_queries=adaptive,
        cached=hits,
        usage=usage,
    )
