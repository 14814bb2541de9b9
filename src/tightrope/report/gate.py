"""Judge a run against a release-gate policy: every rule on every matching table and category.

A threshold is met only by the interval bound on the safe side of it (min: the lower bound,
max: the upper bound). Missing data fails closed: a category, attack or target the rule names
but the run lacks, or fewer usable items than `min_n`, is a breach.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich import box
from rich.console import Console
from rich.table import Table

from tightrope.metrics.rates import OVERALL, CategoryRow, MetricsTable, Rate
from tightrope.report.loader import LoadedRun
from tightrope.report.policy import Policy, Rule
from tightrope.report.terminal import format_rate


@dataclass(frozen=True)
class Check:
    """One rule applied to one target, attack and category, and whether it passed."""

    rule: Rule
    target: str
    attack: str
    category: str
    observed: str
    passed: bool
    reason: str


def _error_rate(row: CategoryRow) -> tuple[float, int]:
    errors = row.not_unsafe.errors + row.not_overrefuse.errors
    total = errors + row.not_unsafe.n + row.not_overrefuse.n
    return (errors / total if total else math.nan), total


def _pct(x: float, other: float) -> str:
    """Return x in percent with one decimal, or more when needed to tell it from `other`."""
    for digits in (1, 2, 3):
        if f"{100 * x:.{digits}f}" != f"{100 * other:.{digits}f}":
            break
    return f"{100 * x:.{digits}f}%"


def _check_rate(rule: Rule, r: Rate) -> tuple[bool, str, str]:
    observed = f"{format_rate(r)} n={r.n}"
    if r.n < max(rule.min_n, 1):
        return False, observed, f"n={r.n} below min_n {max(rule.min_n, 1)}"
    reasons = []
    if rule.min is not None and r.low < rule.min:
        reasons.append(f"CI low {_pct(r.low, rule.min)} < {_pct(rule.min, r.low)}")
    if rule.max is not None and r.high > rule.max:
        reasons.append(f"CI high {_pct(r.high, rule.max)} > {_pct(rule.max, r.high)}")
    return not reasons, observed, "; ".join(reasons) or "ok"


def _check_row(rule: Rule, row: CategoryRow) -> tuple[bool, str, str]:
    if rule.metric == "error_rate":
        value, total = _error_rate(row)
        observed = f"{100 * value:.1f}% of {total}" if total else "no items"
        if total < max(rule.min_n, 1):
            return False, observed, f"{total} items, below min_n {max(rule.min_n, 1)}"
        assert rule.max is not None
        ok = value <= rule.max
        return ok, observed, "ok" if ok else f"{100 * value:.1f}% > {100 * rule.max:.1f}%"
    rate: Rate = getattr(row, rule.metric)
    return _check_rate(rule, rate)


def _tables_for(rule: Rule, run: LoadedRun) -> list[MetricsTable]:
    return [
        t for t in run.tables if rule.target in ("*", t.target) and rule.attack in ("*", t.attack)
    ]


def _check_helm(rule: Rule, run: LoadedRun) -> list[Check]:
    """Return the checks of a `helm_safety` rule: the mean (category all) or one benchmark's
    score of each matching target, judged on its bootstrap interval (attack direct)."""
    tables = [t for t in run.helm() if rule.target in ("*", t.target)]
    if rule.attack not in ("*", "direct") or not tables:
        return [
            Check(rule, rule.target, rule.attack, rule.category, "no data", False,
                  "the run has no HELM benchmark for that target (attack direct)")
        ]  # fmt: skip
    checks = []
    for t in tables:
        if rule.category == "all":
            value, low, high, n = t.mean, t.low, t.high, sum(r.n for r in t.rows)
        else:
            row = next((r for r in t.rows if r.benchmark == rule.category), None)
            if row is None:
                checks.append(
                    Check(rule, t.target, "direct", rule.category, "no data", False,
                          f"the run has no {rule.category} behaviors")
                )  # fmt: skip
                continue
            value, low, high, n = row.score, row.low, row.high, row.n
        observed = f"{value:.3f} [{low:.3f}, {high:.3f}] n={n}"
        reasons = []
        if n < max(rule.min_n, 1) or math.isnan(low):
            reasons.append(f"n={n} below min_n {max(rule.min_n, 1)}")
        if rule.min is not None and low < rule.min:
            reasons.append(f"CI low {low:.3f} < {rule.min:.3f}")
        if rule.max is not None and high > rule.max:
            reasons.append(f"CI high {high:.3f} > {rule.max:.3f}")
        checks.append(
            Check(rule, t.target, "direct", rule.category, observed, not reasons,
                  "; ".join(reasons) or "ok")
        )  # fmt: skip
    return checks


def evaluate_policy(policy: Policy, run: LoadedRun) -> list[Check]:
    """Return every check of `policy` on `run`, in rule order."""
    checks: list[Check] = []
    for rule in policy.rules:
        if rule.metric == "helm_safety":
            checks += _check_helm(rule, run)
            continue
        tables = _tables_for(rule, run)
        if not tables:
            checks.append(
                Check(rule, rule.target, rule.attack, rule.category, "no data", False,
                      "the run has no such target/attack")
            )  # fmt: skip
            continue
        for t in tables:
            rows = {r.category: r for r in t.rows}
            each = rule.category == "each"
            cats = [c for c in rows if c != OVERALL] if each else [rule.category]
            for cat in cats:
                row = rows.get(cat)
                if row is None:
                    checks.append(
                        Check(rule, t.target, t.attack, cat, "no data", False,
                              f"the run has no {cat} behaviors")
                    )  # fmt: skip
                    continue
                ok, observed, reason = _check_row(rule, row)
                checks.append(Check(rule, t.target, t.attack, cat, observed, ok, reason))
    return checks


def print_gate(console: Console, policy: Policy, run: LoadedRun, checks: Sequence[Check]) -> None:
    """Print the breaches (or, when none, every passed check) and a one-line verdict."""
    breaches = [c for c in checks if not c.passed]
    shown = breaches or list(checks)
    t = Table(
        title=(
            f"gate {policy.name} · run {run.run_id}: "
            + (f"{len(breaches)} breach(es)" if breaches else "all checks passed")
        ),
        title_justify="left",
        caption="thresholds are judged on 95% interval bounds (min: CI low, max: CI high)",
        caption_justify="left",
        box=box.SIMPLE_HEAD,
        pad_edge=False,
    )
    for col in ("line", "target", "attack", "category", "requirement", "observed", "result"):
        t.add_column(
            col,
            no_wrap=col not in ("target", "requirement"),
            overflow="fold" if col == "target" else "ellipsis",
        )
    for c in shown:
        t.add_row(
            f"{policy.path.name}:{c.rule.line}",
            c.target,
            c.attack,
            c.category,
            c.rule.describe(),
            c.observed,
            "PASS" if c.passed else f"BREACH: {c.reason}",
            style=None if c.passed else "bold red",
        )
    console.print(t)
    if breaches:
        console.print(
            f"gate FAILED: {len(breaches)} of {len(checks)} checks breached "
            f"({len(checks) - len(breaches)} passed)",
            style="bold red",
            highlight=False,
        )
    else:
        console.print(f"gate passed: {len(checks)} checks", style="bold", highlight=False)


def gate_json(policy: Policy, run: LoadedRun, checks: Sequence[Check]) -> dict[str, Any]:
    """Return the gate result as a JSON-ready dict."""
    return {
        "format": "tightrope-gate",
        "policy": str(policy.path),
        "name": policy.name,
        "run_id": run.run_id,
        "passed": all(c.passed for c in checks),
        "checks": [
            {
                "line": c.rule.line,
                "metric": c.rule.metric,
                "target": c.target,
                "attack": c.attack,
                "category": c.category,
                "requirement": c.rule.describe(),
                "observed": c.observed,
                "passed": c.passed,
                "reason": c.reason,
            }
            for c in checks
        ],
    }
