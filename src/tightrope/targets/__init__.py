"""Model backends, named by spec strings (`embedded:smollm2`, `python:pkg.mod:fn`)."""

from tightrope.targets import anthropic_messages as _anthropic  # noqa: F401  (registers "anthropic")
from tightrope.targets import embedded as _embedded  # noqa: F401  (registers "embedded")
from tightrope.targets import hf as _hf  # noqa: F401  (registers "hf")
from tightrope.targets import llamacpp as _llamacpp  # noqa: F401  (registers "llamacpp")
from tightrope.targets import openai_compat as _openai_compat  # noqa: F401  (openai, openai-compatible)
from tightrope.targets import openai_completions as _openai_completions  # noqa: F401
from tightrope.targets import python_fn as _python_fn  # noqa: F401  (registers "python")
from tightrope.targets import replay as _replay  # noqa: F401  (registers "replay")
from tightrope.targets._base import (
    ScoresChoices,
    Target,
    TargetBase,
    get_target,
    parse_spec,
    target,
    targets,
)

__all__ = [
    "ScoresChoices",
    "Target",
    "TargetBase",
    "get_target",
    "parse_spec",
    "target",
    "targets",
]
