"""A small plan of direct attempts for store tests: behaviors b0..bN-1, one attempt each."""

from __future__ import annotations

from tightrope.records import Attempt, Behavior, Message, Side


def small_plan(
    n: int, *, side: Side = "benign"
) -> tuple[list[Behavior], list[tuple[Attempt, str]]]:
    """Return `n` behaviors and one direct attempt each, with cache keys key0..keyN-1."""
    behaviors = [
        Behavior(
            id=f"b{i}", text=f"q{i}", side=side, category="S1", source_category="x", source="t@1"
        )
        for i in range(n)
    ]
    attempts = [
        (
            Attempt(
                id=f"b{i}/direct/0",
                behavior_id=f"b{i}",
                target="python:m:f",
                messages=(Message(role="user", content=f"q{i}"),),
            ),
            f"key{i}",
        )
        for i in range(n)
    ]
    return behaviors, attempts
