"""How `tightrope run --dry-run` shows a run's estimate: the plan's size, then calls, tokens and
cost per role and model."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table

from tightrope.run.estimate import Estimate


def print_estimate(console: Console, est: Estimate) -> None:
    """Print the plan's size and the estimated calls, tokens and cost; nothing was called."""
    console.print(
        f"dry run: {est.behaviors} behaviors x {est.attacks} attacks x {est.targets} targets, "
        f"{est.judges} judges: {est.static_attempts:,} planned attempts"
        + (f" + up to {est.adaptive_queries:,} adaptive queries" if est.adaptive_queries else "")
        + (f" ({est.cached:,} answered by the cache)" if est.cached else ""),
        highlight=False,
    )
    table = Table(box=None, pad_edge=False)
    for name, justify in (
        ("role", "left"),
        ("model", "left"),
        ("calls", "right"),
        ("prompt tokens", "right"),
        ("completion tokens", "right"),
        ("cost", "right"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for u in est.usage:
        cost = "no price" if u.cost_usd is None else f"${u.cost_usd:.4f}"
        table.add_row(
            u.role, u.spec, f"{u.calls:,}", f"{u.prompt_tokens:,}", f"{u.completion_tokens:,}", cost
        )
    console.print(table)
    total = est.cost_usd
    console.print(
        "estimated cost: "
        + (
            "unknown (add the missing models to TIGHTROPE_PRICES)"
            if total is None
            else f"${total:.4f}"
        )
        + " · tokens: prompt characters / 4 in, --max-tokens out (an upper bound); adaptive "
        "attacks at their full budget. Nothing was called.",
        highlight=False,
    )
