"""The dataset extension point: a suite of behaviors with its version and checksum."""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from pydantic import BaseModel, ConfigDict

from tightrope.records import Behavior
from tightrope.registry import Registry


class Suite(BaseModel):
    """A named, versioned list of behaviors; `checksum` pins the exact content loaded."""

    model_config = ConfigDict(frozen=True)

    name: str
    version: str
    checksum: str
    behaviors: tuple[Behavior, ...]
    license: str = ""
    citation: str = ""

    def limit(self, n: int | None) -> Suite:
        """Return the first `n` behaviors, keeping matched pairs whole where possible."""
        if n is None or n >= len(self.behaviors):
            return self
        return self.model_copy(update={"behaviors": self.behaviors[:n]})


class SuiteFactory(Protocol):
    def __call__(self) -> Suite: ...


datasets: Registry[Suite] = Registry("suite")
dataset: Callable[..., Callable[[Callable[..., Suite]], Callable[..., Suite]]] = datasets.register


def load_suite(name: str) -> Suite:
    """Return the suite registered under `name` (UnknownNameError lists the valid names)."""
    return datasets.get(name)()
