"""One generic registry mapping names to factories (as lm-evaluation-harness does), plug-ins too.

Datasets, targets, attacks and judges each own one `Registry`; a decorator registers a factory
under a name, and lookups of unknown names raise `UnknownNameError` listing the valid ones.

Plug-ins (docs/plugins.md): each registry names one Python entry-point group, listed in
`ENTRY_POINT_GROUPS`. An entry point's value is a module (or `module:object`) of a third-party
distribution; loading it imports the module, whose usual decorators (`@target`, `@judge`,
`@attack`, `@dataset`) register its factories. A registry loads its group once per process and
only when it must: when asked for a name it does not hold, or for all its names. Nothing is
scanned at import time, so `tightrope --help` stays fast. A plug-in that fails to load (an
import error, a name already taken) registers nothing, and its one-line `PluginError` is raised
when the registry is asked for a name it lacks, since that name may be the plug-in's.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from importlib.metadata import EntryPoint, entry_points
from typing import Any, Generic, TypeVar

from tightrope.errors import PluginError, UnknownNameError

F = TypeVar("F", bound=Callable[..., object])
T = TypeVar("T")

# One entry-point group per registry: targets, judges, attacks, suites.
TARGETS_GROUP = "tightrope.targets"
JUDGES_GROUP = "tightrope.judges"
ATTACKS_GROUP = "tightrope.attacks"
SUITES_GROUP = "tightrope.suites"
ENTRY_POINT_GROUPS = (TARGETS_GROUP, JUDGES_GROUP, ATTACKS_GROUP, SUITES_GROUP)

_lock = threading.RLock()
# While plug-ins load: for each one being loaded (innermost last), its label and what it has
# registered so far in any registry, so a plug-in that fails can be taken out again.
_loading: list[tuple[str, list[tuple[Registry[Any], str]]]] = []
# Entry-point value -> None once loaded, or why it failed. One module may sit in several groups;
# it is imported once, and a failure is not retried (a retry would find its own half-done
# registrations and report a misleading clash).
_outcomes: dict[str, str | None] = {}


class Registry(Generic[T]):
    """Names to factories for one kind of extension (`kind` names it in error messages).

    `entry_point_group` is the entry-point group whose plug-ins add names to this registry.
    """

    def __init__(self, kind: str, *, entry_point_group: str | None = None) -> None:
        self.kind = kind
        self.entry_point_group = entry_point_group
        self._factories: dict[str, Callable[..., T]] = {}
        self._help: dict[str, str] = {}
        self._origin: dict[str, str] = {}
        self._plugins_loaded = entry_point_group is None
        self._plugin_errors: list[str] = []

    def register(self, name: str, *, help: str = "") -> Callable[[F], F]:
        """Return a decorator that registers its function under `name`."""

        def decorate(factory: F) -> F:
            with _lock:
                if name in self._factories:
                    message = f"{self.kind} {name!r} is registered twice"
                    if _loading:
                        message += f" (already {self._origin.get(name, 'built in')})"
                    raise ValueError(message)
                self._factories[name] = factory  # type: ignore[assignment]
                doc = (factory.__doc__ or "").strip().splitlines()
                self._help[name] = help or (doc[0] if doc else "")
                if _loading:
                    label, registered = _loading[-1]
                    self._origin[name] = f"registered by {label}"
                    registered.append((self, name))
            return factory

        return decorate

    def get(self, name: str) -> Callable[..., T]:
        """Return the factory for `name`, or raise `UnknownNameError` listing the valid names.

        A name not held loads the plug-ins first; if one failed, its `PluginError` is raised.
        """
        factory = self._factories.get(name)
        if factory is None:
            self.load_plugins()
            factory = self._factories.get(name)
        if factory is not None:
            return factory
        if self._plugin_errors:
            more = len(self._plugin_errors) - 1
            also = f" (and {more} more failing plug-in{'s' if more > 1 else ''})" if more else ""
            raise PluginError(f"{self.kind} {name!r} not found; {self._plugin_errors[0]}{also}")
        raise UnknownNameError(self.kind, name, self.names())

    def names(self) -> list[str]:
        """Return the registered names, plug-ins' included, sorted."""
        self.load_plugins()
        return sorted(self._factories)

    def describe(self) -> dict[str, str]:
        """Return name -> one-line help for listings."""
        return {name: self._help[name] for name in self.names()}

    def __contains__(self, name: object) -> bool:
        if name in self._factories:
            return True
        self.load_plugins()
        return name in self._factories

    @property
    def plugin_errors(self) -> list[str]:
        """One line for each plug-in of this registry's group that failed to load."""
        self.load_plugins()
        return list(self._plugin_errors)

    def load_plugins(self) -> None:
        """Load every entry point of this registry's group, once per process."""
        group = self.entry_point_group
        if self._plugins_loaded or group is None:
            return
        with _lock:
            if self._plugins_loaded:
                return
            self._plugins_loaded = True
            found = sorted(entry_points(group=group), key=lambda ep: (_dist_of(ep), ep.name))
            for ep in found:
                label = f"plug-in {_dist_of(ep)} (entry point {ep.name} = {ep.value} in {group})"
                error = _load(ep, label)
                if error is not None:
                    self._plugin_errors.append(
                        f"{label} failed to load: {error}; fix or uninstall it"
                    )

    def _forget(self, name: str) -> None:
        self._factories.pop(name, None)
        self._help.pop(name, None)
        self._origin.pop(name, None)


def _dist_of(ep: EntryPoint) -> str:
    """Return 'name version' of the distribution that declares `ep`."""
    dist = getattr(ep, "dist", None)
    if dist is None:
        return "(unknown distribution)"
    return f"{dist.name} {dist.version}"


def _load(ep: EntryPoint, label: str) -> str | None:
    """Load `ep` (its module registers its factories); return None, or why it failed.

    A plug-in that fails has everything it registered, in any registry, taken out again.
    """
    if ep.value in _outcomes:
        return _outcomes[ep.value]
    registered: list[tuple[Registry[Any], str]] = []
    _loading.append((label, registered))
    try:
        ep.load()
        error = None
    except Exception as exc:
        for registry, name in registered:
            registry._forget(name)
        text = " ".join(str(exc).split())
        error = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    finally:
        _loading.pop()
    _outcomes[ep.value] = error
    return error
