"""Token usage and cost per role (target, attacker, judge) from a price table users can extend.

Prices are US dollars per million tokens (input, output). The built-in table is small and dated;
point TIGHTROPE_PRICES at a YAML file (`MODEL: {input: 0.15, output: 0.6}`) to add or override
models. Local models (embedded:, hf:, python:, replay:) cost nothing and report tokens only.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from pathlib import Path

import yaml
from pydantic import BaseModel

from tightrope import yamlsafe
from tightrope.errors import InputError
from tightrope.records import Response

# Published list prices as of 2024-10 (USD per 1M tokens); check your provider's current ones.
BUILTIN_PRICES: dict[str, tuple[float, float]] = {
    "gpt-4o": (2.50, 10.00),
    "gpt-4o-mini": (0.15, 0.60),
    "gpt-4-turbo": (10.00, 30.00),
    "gpt-3.5-turbo": (0.50, 1.50),
    "claude-3-5-sonnet-20241022": (3.00, 15.00),
    "claude-3-5-haiku-20241022": (0.80, 4.00),
    "claude-3-haiku-20240307": (0.25, 1.25),
}


class RoleUsage(BaseModel):
    """Tokens and cost of one role's calls to one model."""

    role: str
    spec: str
    calls: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: float | None = None


def model_name(spec: str) -> str | None:
    """Return the priced model name of a remote target spec, or None for local backends."""
    scheme, _, arg = spec.partition(":")
    if scheme in ("openai", "anthropic"):
        return arg
    if scheme == "openai-compatible":
        return arg.rpartition("#")[2]
    return None


def load_prices(path: Path | None = None) -> dict[str, tuple[float, float]]:
    """Return the built-in prices updated from a YAML file ($TIGHTROPE_PRICES by default)."""
    prices = dict(BUILTIN_PRICES)
    env = os.environ.get("TIGHTROPE_PRICES")
    path = path or (Path(env) if env else None)
    if path is None:
        return prices
    try:
        doc = yamlsafe.load(path.read_text(encoding="utf-8"), path)[1] or {}
    except (OSError, yaml.YAMLError) as exc:
        raise InputError(f"{path}: cannot read the price table ({exc})") from None
    if not isinstance(doc, dict):
        raise InputError(f"{path}:1: the price table maps MODEL: {{input: X, output: Y}}")
    for model, entry in doc.items():
        try:
            prices[str(model)] = (float(entry["input"]), float(entry["output"]))
        except (TypeError, KeyError, ValueError):
            raise InputError(
                f"{path}: model {model!r} needs numeric 'input' and 'output' (USD per 1M tokens)"
            ) from None
    return prices


def usage_by_spec(
    role: str,
    responses: Iterable[tuple[str, Response]],
    prices: Mapping[str, tuple[float, float]],
) -> list[RoleUsage]:
    """Return token totals (and cost where the model is priced) per spec for one role."""
    return usage_totals(
        role,
        ((spec, r.usage.prompt_tokens, r.usage.completion_tokens) for spec, r in responses),
        prices,
    )


def usage_totals(
    role: str,
    calls: Iterable[tuple[str, int, int]],
    prices: Mapping[str, tuple[float, float]],
) -> list[RoleUsage]:
    """Return token totals and cost per spec from (spec, prompt tokens, completion tokens) rows.

    The cost is None where the model has no price (add it to TIGHTROPE_PRICES) and 0 for
    local backends, which have no model name to price.
    """
    totals: dict[str, RoleUsage] = {}
    for spec, prompt_tokens, completion_tokens in calls:
        u = totals.setdefault(spec, RoleUsage(role=role, spec=spec))
        u.calls += 1
        u.prompt_tokens += prompt_tokens
        u.completion_tokens += completion_tokens
    for spec, u in totals.items():
        name = model_name(spec)
        if name is None:
            u.cost_usd = 0.0
        elif name in prices:
            pin, pout = prices[name]
            u.cost_usd = (u.prompt_tokens * pin + u.completion_tokens * pout) / 1e6
    return list(totals.values())
