"""The plan of a run: every static attempt, with its cache key, in a deterministic order."""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence

from tightrope.attacks import Attack, frame
from tightrope.records import Attempt, Behavior, GenerationConfig
from tightrope.targets.cached import CachedModel


def plan(
    behaviors: Sequence[Behavior],
    targets: Sequence[CachedModel],
    attacks: Mapping[str, Attack],
    generation: GenerationConfig,
    *,
    choice_options: Mapping[str, str] | None = None,
) -> Iterator[tuple[Attempt, str]]:
    """Yield every attempt of the static attacks with its cache key, target by target.

    A generator: the store takes the plan row by row, so it is never held whole in memory. The
    key is the one every model call uses (`targets.cached.call_key`), so a static attempt and an
    adaptive query with the same messages share one cache entry. An attempt of a behavior in
    `choice_options` (id -> option letters) is scored by log-likelihood, and its key says so.
    """
    scored = choice_options or {}
    for t in targets:
        for name, atk in attacks.items():
            for b in behaviors:
                for i, variant in enumerate(atk.variants(b)):
                    attempt = Attempt(
                        id=f"{b.id}/{name}/{i}@{t.spec}",
                        behavior_id=b.id,
                        target=t.spec,
                        attack=name,
                        attack_params={**atk.params, **variant.params},
                        index=i,
                        messages=frame(b, variant.messages),
                    )
                    yield attempt, t.key(attempt.messages, generation, options=scored.get(b.id))
