"""One generic registry mapping names to factories (as lm-evaluation-harness does).

Datasets, targets, attacks and judges each own one `Registry`; a decorator registers a factory
under a name, and lookups of unknown names raise `UnknownNameError` listing the valid ones.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Generic, TypeVar

from tightrope.errors import UnknownNameError

F = TypeVar("F", bound=Callable[..., object])
T = TypeVar("T")


class Registry(Generic[T]):
    """Names to factories for one kind of extension (`kind` names it in error messages)."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._factories: dict[str, Callable[..., T]] = {}
        self._help: dict[str, str] = {}

    def register(self, name: str, *, help: str = "") -> Callable[[F], F]:
        """Return a decorator that registers its function under `name`."""

        def decorate(factory: F) -> F:
            if name in self._factories:
                raise ValueError(f"{self.kind} {name!r} is registered twice")
            self._factories[name] = factory  # type: ignore[assignment]
            doc = (factory.__doc__ or "").strip().splitlines()
            self._help[name] = help or (doc[0] if doc else "")
            return factory

        return decorate

    def get(self, name: str) -> Callable[..., T]:
        """Return the factory for `name`, or raise `UnknownNameError` listing the valid names."""
        try:
            return self._factories[name]
        except KeyError:
            raise UnknownNameError(self.kind, name, self.names()) from None

    def names(self) -> list[str]:
        """Return the registered names, sorted."""
        return sorted(self._factories)

    def describe(self) -> dict[str, str]:
        """Return name -> one-line help for listings."""
        return {name: self._help[name] for name in self.names()}

    def __contains__(self, name: object) -> bool:
        return name in self._factories
