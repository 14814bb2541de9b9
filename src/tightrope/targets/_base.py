"""The target extension point: model backends named by spec strings like `embedded:smollm2`."""

from __future__ import annotations

from collections.abc import Sequence
from collections.abc import Set as AbstractSet
from typing import Any, Protocol, runtime_checkable

from tightrope.errors import InputError
from tightrope.records import GenerationConfig, Message, Response
from tightrope.registry import TARGETS_GROUP, Registry


@runtime_checkable
class Target(Protocol):
    """A model backend. `generate` answers a batch of conversations, one Response each.

    A backend should not raise for a failed call: it returns a Response with `error` set, so the
    failure is recorded as an error and never judged (invariant 1); the cache-first wrapper
    (`targets/cached.py`) turns anything it raises anyway into error Responses. `version` names
    everything besides the generation parameters that can change an output (weights, library
    versions); it is part of the cache key.

    The lifecycle is explicit: `load` readies the backend (weights, an index) and is called in a
    worker thread before the first call the cache cannot answer; `aclose` releases clients at
    the end of a run. Backends with nothing to load or close inherit both from `TargetBase`.
    """

    @property
    def spec(self) -> str:
        """The spec the backend was made from, e.g. `openai:gpt-4o-mini`."""
        ...

    @property
    def version(self) -> str:
        """Everything besides generation parameters that can change an output."""
        ...

    @property
    def max_batch_size(self) -> int:
        """Conversations per `generate` call."""
        ...

    @property
    def max_concurrency(self) -> int:
        """`generate` calls in flight at once."""
        ...

    def load(self) -> object:
        """Make the backend ready for `generate`; idempotent and safe to call from a thread."""
        ...

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one Response per conversation in `batch`, in order."""
        ...

    async def aclose(self) -> None:
        """Release what the backend holds open (HTTP clients); called once when a run ends."""
        ...


@runtime_checkable
class ScoresChoices(Protocol):
    """An optional capability of a Target: scoring options by log-likelihood (local models).

    `--choice-scoring loglik` needs it of every target of the run (`isinstance` check at
    resolution); `targets/hf.py` has it, remote APIs do not.
    """

    async def score_choices(
        self,
        batch: Sequence[Sequence[Message]],
        options: Sequence[Sequence[str]],
        config: GenerationConfig,
    ) -> list[Response]:
        """Return one Response per conversation: the text is the most likely of its `options`
        as the reply's first token(s), `option_logprobs` every option's log-probability and
        `finish_reason` `loglik`; a failure is a Response with `error` set."""
        ...


class TargetBase:
    """The default lifecycle of a backend: nothing to load, nothing to close."""

    def load(self) -> object:
        """Do nothing: the backend is ready when made."""
        return None

    def release(self) -> None:
        """Do nothing: the backend holds nothing that `load` made."""

    async def aclose(self) -> None:
        """Do nothing: the backend holds nothing open."""


targets: Registry[Target] = Registry("target", entry_point_group=TARGETS_GROUP)
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


# Settings a target may be given (from the command line or a YAML file). One settings mapping
# applies to every target of a run, so each backend takes the keys that concern it.
KNOWN_SETTINGS = {
    "batch_size": "prompts per batch for local models",
    "threads": "CPU threads for local models",
    "device": "torch device for local models (cpu, cuda, mps)",
    "dtype": "torch dtype for local models (float32, bfloat16, float16)",
    "concurrency": "maximum requests in flight to an endpoint",
    "timeout": "seconds before one request is abandoned",
    "retries": "attempts per request, first included",
    "base_delay": "first backoff in seconds (doubles each retry, full jitter)",
    "max_delay": "longest backoff in seconds",
    "api_key_env": "environment variable holding the API key",
    "extra_body": "extra JSON fields sent with each request",
    "version": "your label for what serves an endpoint (bump it after a redeploy); in cache keys",
    "transport": "HTTP client of the openai targets: sdk (the openai SDK) or lean (tightrope's)",
}


_WHOLE = ("batch_size", "threads", "concurrency", "retries")
_SECONDS = {"timeout": True, "base_delay": False, "max_delay": False}  # True: must be > 0
_TEXT = ("device", "dtype", "api_key_env", "transport")
_CHOICES = {"transport": ("sdk", "lean")}


def check_setting(key: str, value: Any) -> Any:
    """Return `value` when it is valid for the target setting `key`; InputError otherwise.

    Counts are whole numbers from 1 (a concurrency of 0 made every call an error, 0 retries
    an AssertionError), durations non-negative numbers (a timeout positive), names strings,
    `extra_body` a mapping. None means "not set" and is returned as it is.
    """
    if value is None:
        return None
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if key in _WHOLE and not (number and float(value).is_integer() and value >= 1):
        raise InputError(f"target setting {key}: {value!r} is not a whole number from 1")
    if key in _SECONDS and not (number and (value > 0 if _SECONDS[key] else value >= 0)):
        least = "above 0" if _SECONDS[key] else "from 0"
        raise InputError(f"target setting {key}: {value!r} is not a number of seconds {least}")
    if key in _TEXT and not isinstance(value, str):
        raise InputError(f"target setting {key}: {value!r} is not a string")
    if key in _CHOICES and value not in _CHOICES[key]:
        raise InputError(
            f"target setting {key}: {value!r} is not one of {', '.join(_CHOICES[key])}"
        )
    if key == "extra_body" and not isinstance(value, dict):
        raise InputError(f"target setting extra_body: {value!r} is not a mapping of JSON fields")
    return int(value) if key in _WHOLE else value


def pick_settings(settings: dict[str, Any], allowed: AbstractSet[str]) -> dict[str, Any]:
    """Return the settings a backend accepts, dropping None and other backends' keys."""
    return {k: v for k, v in settings.items() if k in allowed and v is not None}


# Schemes whose models compute in this process, on this machine's cores (or its GPU).
LOCAL_SCHEMES = frozenset({"hf", "embedded", "llamacpp"})


def is_local(spec: str) -> bool:
    """True when the model `spec` runs in the calling process (a local model, weights loaded
    here), not behind an endpoint: what decides where a Ray run loads it and whether judges
    may compute beside it."""
    return spec.partition(":")[0] in LOCAL_SCHEMES


def get_target(spec: str, **settings: Any) -> Target:
    """Return the backend for `spec`; unknown schemes or settings raise an InputError."""
    unknown = sorted(set(settings) - set(KNOWN_SETTINGS))
    if unknown:
        raise InputError(
            f"unknown target setting {unknown[0]!r}; valid: {', '.join(sorted(KNOWN_SETTINGS))}"
        )
    settings = {k: check_setting(k, v) for k, v in settings.items()}
    scheme, arg = parse_spec(spec)
    made = targets.get(scheme)(arg, **settings)
    if not isinstance(made, Target):
        raise InputError(
            f"target scheme {scheme!r} made a {type(made).__name__} that is not a Target "
            "(spec, version, max_batch_size, max_concurrency, load, generate, aclose); "
            "subclass tightrope.targets.TargetBase for the lifecycle methods"
        )
    return made
