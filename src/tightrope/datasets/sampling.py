"""Stratified sub-sampling of a suite: by category, keeping matched pairs together.

`--sample N --sample-seed S` draws about N behaviors from each suite. Behaviors that share a
`pair_id` form one unit (a harmful request and its benign twin are drawn together or not at
all); units are grouped into strata by category, the tightrope code and the dataset's own (of
the harmful member), each stratum gets a share of N proportional to its size (largest
remainder), and within a stratum units are drawn in an order shuffled by a generator seeded
from (S, stratum). The same N and S always give the same
behaviors; the result keeps the suite's original order. A stratum's share that an odd pair
cannot fill exactly is topped up from other strata, so the total is N whenever single
behaviors allow it, and N - 1 at most when every unit is a pair.
"""

from __future__ import annotations

import random
from collections import defaultdict
from collections.abc import Sequence

from tightrope.datasets.taxonomy import category_sort_key
from tightrope.records import Behavior

Unit = tuple[int, ...]
Stratum = tuple[str, str]


def units_of(behaviors: Sequence[Behavior]) -> list[Unit]:
    """Return the indices of `behaviors` grouped into units: one per pair, one per loner."""
    groups: dict[str, list[int]] = {}
    units: list[list[int]] = []
    for i, b in enumerate(behaviors):
        if b.pair_id is None:
            units.append([i])
        elif b.pair_id in groups:
            groups[b.pair_id].append(i)
        else:
            groups[b.pair_id] = [i]
            units.append(groups[b.pair_id])
    return [tuple(u) for u in units]


def _stratum(behaviors: Sequence[Behavior], unit: Unit) -> Stratum:
    harmful = [behaviors[i] for i in unit if behaviors[i].side == "harmful"]
    first = (harmful or [behaviors[unit[0]]])[0]
    return (first.category, first.source_category)


def _key(stratum: Stratum) -> tuple[int, str, str]:
    return (*category_sort_key(stratum[0]), stratum[1])


def quotas(sizes: dict[Stratum, int], n: int) -> dict[Stratum, int]:
    """Return each stratum's share of `n`, proportional to `sizes` (largest remainder)."""
    total = sum(sizes.values())
    exact = {c: n * s / total for c, s in sizes.items()}
    share = {c: int(v) for c, v in exact.items()}
    order = sorted(sizes, key=lambda c: (-(exact[c] - share[c]), _key(c)))
    for c in order[: n - sum(share.values())]:
        share[c] += 1
    return share


def stratified_sample(
    behaviors: Sequence[Behavior], n: int, *, seed: int = 0
) -> tuple[Behavior, ...]:
    """Return about `n` of `behaviors`: stratified by category, pairs whole, original order."""
    if n >= len(behaviors):
        return tuple(behaviors)
    strata: dict[Stratum, list[Unit]] = defaultdict(list)
    for unit in units_of(behaviors):
        strata[_stratum(behaviors, unit)].append(unit)
    share = quotas({c: sum(len(u) for u in us) for c, us in strata.items()}, n)
    chosen: list[Unit] = []
    rest: list[Unit] = []
    for stratum in sorted(strata, key=_key):
        units = list(strata[stratum])
        random.Random(f"{seed}/{stratum[0]}/{stratum[1]}").shuffle(units)
        taken = 0
        for unit in units:
            if taken + len(unit) <= share[stratum]:
                chosen.append(unit)
                taken += len(unit)
            else:
                rest.append(unit)
    count = sum(len(u) for u in chosen)
    random.Random(f"{seed}/fill").shuffle(rest)
    for unit in rest:
        if count + len(unit) <= n:
            chosen.append(unit)
            count += len(unit)
    return tuple(behaviors[i] for i in sorted(i for u in chosen for i in u))
