"""The adaptive-attack extension point: attacks that talk to models in a loop.

A static attack turns a behavior into fixed prompts before any model is called. An adaptive
attack (PAIR, TAP, GCG) decides each prompt from earlier answers, so it runs inside the runner's
adaptive stage (`tightrope.run.adaptive`), which hands it a `LoopContext`: every model call goes
through the run store's response cache, and every target query lands in the store as an attempt
with its position (iteration, stream, parent) in `Attempt.attack_params`.

Adaptive attacks register in the same registry as static ones (`@attack("pair")`) but are a
protocol of their own: they have no static variants and are never planned; `is_adaptive` tells
them apart.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from tightrope.errors import InputError
from tightrope.records import Behavior, GenerationConfig, Message, Response, Verdict, stable_hash
from tightrope.targets import Target

# Key in Attempt.attack_params marking an attempt the adaptive stage owns (and retries).
ADAPTIVE_MARK = "adaptive"
# Registry name of the in-loop judge's verdicts, stored beside the run's configured judges.
LOOP_VERDICT = "loop-judge"


@dataclass(frozen=True)
class Query:
    """One target query an attack wants made: where it sits in the search and what it sends."""

    position: str
    messages: tuple[Message, ...]
    params: dict[str, Any]


class LoopContext(Protocol):
    """What the adaptive stage gives an attack for one behavior on one target."""

    @property
    def target(self) -> Target:
        """The model under attack."""
        ...

    @property
    def generation(self) -> GenerationConfig:
        """The run's generation settings, used for every target query."""
        ...

    def model(self, spec: str) -> Target:
        """Return the run's backend for a model spec the attack declared in `models()`."""
        ...

    async def ask(
        self, role: str, spec: str, calls: Sequence[tuple[Sequence[Message], GenerationConfig]]
    ) -> list[Response]:
        """Return one response per (messages, config) from model `spec`, cache first."""
        ...

    async def query(self, queries: Sequence[Query]) -> list[tuple[str, Response]]:
        """Send queries to the target (cache first), store each as an attempt.

        Returns (attempt id, response) per query, in order.
        """
        ...

    def record_loop_verdicts(self, items: Sequence[tuple[str, Verdict]]) -> None:
        """Store the in-loop judge's verdict on attempts (by attempt id)."""
        ...

    def amend(self, attempt_id: str, response: Response) -> None:
        """Replace the stored response of an attempt made through `query` (by attempt id)."""
        ...

    def record_failure(self, query: Query, error: str) -> None:
        """Store an error record where a query could not be made (an attacker call failed)."""
        ...

    async def computed(self, payload: dict[str, Any], compute: Callable[[], str]) -> str:
        """Return a cached result for `payload`, or run `compute` in a thread and cache it."""
        ...


@runtime_checkable
class AdaptiveAttack(Protocol):
    """An attack that runs a loop against the target within a budget."""

    @property
    def name(self) -> str:
        """The attack spec as given (`pair:streams=5`); attempts carry it as their attack."""
        ...

    @property
    def params(self) -> dict[str, Any]:
        """Budget, seed, models and prompt versions, as recorded with every attempt."""
        ...

    @property
    def parallel_units(self) -> int:
        """How many behaviors may be attacked at once (1 for CPU-bound searches)."""
        ...

    def bind(self, *, attacker_model: str | None, judge_model: str | None) -> AdaptiveAttack:
        """Return the attack with its models resolved; InputError when one is missing."""
        ...

    def check_target(self, target: Target) -> None:
        """Raise InputError when the attack cannot run against `target`."""
        ...

    def models(self) -> dict[str, str]:
        """Return role -> model spec of the models the loop calls besides the target."""
        ...

    async def run(self, behavior: Behavior, ctx: LoopContext) -> None:
        """Attack one behavior, making every query through `ctx`."""
        ...


def is_adaptive(obj: object) -> bool:
    """Return True for an adaptive attack object, or an attempt's params that one produced."""
    if isinstance(obj, dict):
        return obj.get(ADAPTIVE_MARK) is True
    return isinstance(obj, AdaptiveAttack)


def parse_options(
    spec: str, arg: str | None, allowed: Mapping[str, type]
) -> dict[str, int | float | str]:
    """Parse 'key=value,key=value' into typed options; unknown keys or bad values raise.

    Keys may use '-' or '_'. A value is split off at its first '=', so model specs with ':'
    and '#' pass through (`judge=openai-compatible:http://h:8000/v1#m`).
    """
    out: dict[str, int | float | str] = {}
    if not arg:
        return out
    for part in arg.split(","):
        key, sep, value = part.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or key not in allowed:
            valid = ", ".join(k.replace("_", "-") for k in allowed)
            raise InputError(f"attack {spec}: unknown option {part.strip()!r}; valid: {valid}")
        kind = allowed[key]
        try:
            out[key] = kind(value.strip())
        except ValueError:
            noun = {int: "whole number", float: "number"}.get(kind, "text")
            raise InputError(
                f"attack {spec}: {key.replace('_', '-')} must be a {noun}, got {value.strip()!r}"
            ) from None
        if kind in (int, float) and float(out[key]) < 0:
            raise InputError(f"attack {spec}: {key.replace('_', '-')} must not be negative")
    return out


def derived_seed(*parts: object) -> int:
    """Return a 31-bit seed derived from `parts`: distinct calls get distinct, stable seeds."""
    return int(stable_hash([str(p) for p in parts])[:8], 16) & 0x7FFFFFFF


@dataclass(frozen=True)
class OptionedAttack:
    """What every attacker-model attack shares: its spec, the options given in it, the attack's
    defaults, and how many behaviors it attacks at once. Subclasses add the loop (`run`)."""

    name: str
    options: dict[str, Any] = field(default_factory=dict)
    defaults: dict[str, Any] = field(default_factory=dict)
    parallel_units: int = 8

    def opt(self, key: str) -> Any:
        """Return an option: as given in the spec, else the attack's default."""
        return self.options.get(key, self.defaults.get(key))

    @property
    def attacker_spec(self) -> str | None:
        """The attacker model spec, once known."""
        value = self.opt("attacker")
        return str(value) if value else None
