"""What runs inside a Ray worker: an actor that holds models and judges and answers shards.

Each actor builds a model the first time a shard names it (one load per actor for a local
model) and keeps it; it calls the model through a `CachedModel` without a cache, so batching,
concurrency and the failure rule (anything raised becomes error Responses) are a local run's.
Everything crosses the process boundary as JSON text, so the driver and the workers agree on
the records whatever pickling does. The worker never touches the store: the driver writes.
"""

from __future__ import annotations

import os
from typing import Any

from pydantic import TypeAdapter

from tightrope.records import Behavior, GenerationConfig, Message, stable_hash

_CONVERSATIONS: TypeAdapter[list[list[Message]]] = TypeAdapter(list[list[Message]])


class Worker:
    """A Ray actor's state: models by (spec, settings) and judges by name, built on first use."""

    def __init__(self) -> None:
        self._models: dict[str, Any] = {}
        self._judges: dict[str, Any] = {}

    def pid(self) -> int:
        """Return the worker's process id (tests kill it)."""
        return os.getpid()

    def _model(self, spec: str, settings: dict[str, Any]) -> Any:
        from tightrope.targets import get_target
        from tightrope.targets.cached import CachedModel

        key = stable_hash({"spec": spec, "settings": settings})
        if key not in self._models:
            self._models[key] = CachedModel(get_target(spec, **settings), None)
        return self._models[key]

    async def load(self, spec: str, settings: dict[str, Any]) -> int:
        """Load the model `spec` in this worker (once); return the worker's pid."""
        await self._model(spec, settings).ensure_loaded()
        return os.getpid()

    async def generate(
        self, spec: str, settings: dict[str, Any], conversations: str, generation: str
    ) -> list[str]:
        """Return the model's responses (JSON) to the conversations (JSON), in order."""
        model = self._model(spec, settings)
        responses, _ = await model.call(
            _CONVERSATIONS.validate_json(conversations),
            GenerationConfig.model_validate_json(generation),
        )
        return [r.model_dump_json() for r in responses]

    async def judge(self, name: str, items: list[tuple[str, str]]) -> list[str]:
        """Return the verdicts (JSON) of judge `name` on (behavior JSON, response text) items."""
        from tightrope.judges import JudgeItem, get_judge

        if name not in self._judges:
            self._judges[name] = get_judge(name)
        verdicts = await self._judges[name].judge(
            [JudgeItem(behavior=Behavior.model_validate_json(b), response=r) for b, r in items]
        )
        return [v.model_dump_json() for v in verdicts]
