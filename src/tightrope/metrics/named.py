"""A run's metrics by name, for policies: the headline rates, the instruction-hierarchy metrics,
and whatever a registered metric provider adds (e.g. `wmdp-bio.accuracy`).

Names are per metrics table (one target, one attack):

- `not_unsafe`, `not_overrefuse`, `asr`, `refusal_rate`: the table's overall row;
- `hijacking_robustness`, `extraction_robustness`, `defense_validity`,
  `injection_robustness`, `task_completion`: when the table has those tasks (metrics/hierarchy.py);
- `<suite>.accuracy` for each multiple-choice suite among the table's records (`wmdp-bio`,
  `wmdp-chem`, `wmdp-cyber`, `bbq`; metrics/choice.py);
- any name a provider registered with `@metric_provider` returns for the table.

A provider is the hook a new task kind uses to make its numbers usable by an RSP policy's
capability thresholds: a function `(table, records) -> {name: Rate}` given the table and the
records of that target and attack (all suites of the run), returning nothing when the records
hold none of its behaviors. Every value is a `Rate`, so a policy reads its interval bounds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

from tightrope.metrics.choice import choice_rows
from tightrope.metrics.hierarchy import hierarchy_metrics
from tightrope.metrics.rates import MetricsTable, Rate
from tightrope.records import Record

HEADLINE = ("not_unsafe", "not_overrefuse", "asr", "refusal_rate")

MetricProvider = Callable[[MetricsTable, Sequence[Record]], Mapping[str, Rate]]
_PROVIDERS: dict[str, MetricProvider] = {}


def metric_provider(name: str) -> Callable[[MetricProvider], MetricProvider]:
    """Return a decorator registering a provider of named metrics under `name` (a second
    registration of one name replaces the first, so a module reloaded in tests stays single)."""

    def decorate(fn: MetricProvider) -> MetricProvider:
        _PROVIDERS[name] = fn
        return fn

    return decorate


def providers() -> dict[str, MetricProvider]:
    """Return the registered metric providers by name."""
    return dict(_PROVIDERS)


def named_metrics(table: MetricsTable, records: Sequence[Record] = ()) -> dict[str, Rate]:
    """Return every named metric of one table: headline rates, hierarchy metrics, providers'.

    `records` may hold every record of the run; each provider gets those of the table's target
    and attack only.
    """
    out: dict[str, Rate] = {name: getattr(table.overall, name) for name in HEADLINE}
    out.update({m.key: m.rate for m in hierarchy_metrics(table)})
    mine = [
        r for r in records if r.attempt.target == table.target and r.attempt.attack == table.attack
    ]
    out.update({row.key: row.accuracy for row in choice_rows(mine)})
    if _PROVIDERS:
        for provider in _PROVIDERS.values():
            out.update(provider(table, mine))
    return out
