"""The target extension point: model backends named by spec strings like `embedded:smollm2`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Protocol, runtime_checkable

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response
from tightrope.registry import Registry


@runtime_checkable
class Target(Protocol):
    """A model backend. `generate` answers a batch of conversations, one Response each.

    A backend never raises for a failed call: it returns a Response with `error` set, so the
    failure is recorded as an error and never judged (invariant 1). `version` names everything
    besides the generation parameters that can change an output (weights, library versions);
    it is part of the cache key.
    """

    spec: str
    version: str
    max_batch_size: int
    max_concurrency: int

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation in `batch`, in order."""
        ...


targets: Registry[Target] = Registry("target")
target = targets.register


def parse_spec(spec: str) -> tuple[str, str]:
    """Split a target spec into (scheme, argument): 'openai:gpt-4o' -> ('openai', 'gpt-4o')."""
    scheme, sep, arg = spec.partition(":")
    if not sep or not scheme or not arg:
        raise InputError(
            f"target spec {spec!r} must look like SCHEME:NAME (e.g. embedded:smollm2); "
            f"valid schemes: {', '.join(targets.names())}"
        )
    return scheme, arg


def get_target(spec: str, **settings: Any) -> Target:
    """Return the backend for `spec`; unknown schemes raise an error listing the valid ones."""
    scheme, arg = parse_spec(spec)
    return targets.get(scheme)(arg, **settings)
