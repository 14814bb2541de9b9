"""The attack extension point. A static attack turns one behavior into one or more prompts."""

from __future__ import annotations

import inspect
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from tightrope.errors import InputError
from tightrope.multiple_choice import choice_prompt
from tightrope.records import Behavior, Message
from tightrope.registry import ATTACKS_GROUP, Registry

if TYPE_CHECKING:
    from tightrope.attacks.adaptive._base import AdaptiveAttack

CONTEXT_SEPARATOR = "\n\n---\n\n"


def behavior_prompt(behavior: Behavior) -> str:
    """Return the user text for a behavior: HarmBench's `context + separator + request` form,
    or for a multiple-choice item its context, question and lettered options."""
    if behavior.choices is not None:
        return choice_prompt(behavior)
    if behavior.context:
        return f"{behavior.context}{CONTEXT_SEPARATOR}{behavior.text}"
    return behavior.text


def frame(behavior: Behavior, messages: tuple[Message, ...]) -> tuple[Message, ...]:
    """Return an attack's messages inside the behavior's own conversation.

    Attacks write the behavior's turn (the user request, transformed); a behavior may bring a
    system message and earlier turns (`conversation`) and turns after its own (`after`), which
    every attempt on it carries unchanged. Returns `messages` itself for a plain behavior.
    """
    if not behavior.conversation and not behavior.after:
        return messages
    return (*behavior.conversation, *messages, *behavior.after)


@dataclass(frozen=True)
class Variant:
    """One attempt an attack wants sent: the messages and the parameters that made them."""

    messages: tuple[Message, ...]
    params: dict[str, Any] = field(default_factory=dict)


@runtime_checkable
class Attack(Protocol):
    """Turns a behavior into the conversations to send; `params` are recorded with the run."""

    @property
    def name(self) -> str:
        """The registry name of the attack."""
        ...

    @property
    def params(self) -> dict[str, Any]:
        """The parameters that define the attack (seed, templates, budgets), as recorded."""
        ...

    def variants(self, behavior: Behavior) -> list[Variant]:
        """Return the attempts for `behavior`, deterministic for the attack's seed."""
        ...


attacks: Registry[Attack | AdaptiveAttack] = Registry("attack", entry_point_group=ATTACKS_GROUP)
attack = attacks.register


def parse_attack_spec(spec: str) -> tuple[str, str | None]:
    """Split 'name:arg' into (name, arg); a plain name has no argument."""
    name, sep, arg = spec.partition(":")
    return name, (arg if sep else None)


def get_attack(spec: str) -> Attack | AdaptiveAttack:
    """Return the attack for `name` or `name:arg` (UnknownNameError lists the valid names)."""
    name, arg = parse_attack_spec(spec)
    factory = attacks.get(name)
    if arg is None:
        return factory()
    try:
        inspect.signature(factory).bind(arg)
    except TypeError:
        raise InputError(f"attack {name!r} takes no option; write it as {name!r}") from None
    except ValueError:  # a callable without a signature: let it decide
        pass
    try:
        return factory(arg)
    except ValueError as exc:  # an option the attack could not parse (a NUL in a path, ...)
        raise InputError(f"attack {spec!r}: {exc}") from None
