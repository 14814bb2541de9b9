"""The defaults of a run, defined once: plain constants, cheap to import (the command line reads
them for its help and options without loading pydantic or the engine)."""

from __future__ import annotations

DEFAULT_TARGET = "embedded:smollm2"
DEFAULT_SUITES: tuple[str, ...] = ("starter",)
DEFAULT_ATTACKS: tuple[str, ...] = ("direct",)
BASELINE_ATTACK = "direct"
DEFAULT_COMBINE = "majority"
DEFAULT_MAX_ERROR_RATE = 0.05
DEFAULT_OUT = "tightrope-runs"
# How a run uses the response cache (`--cache`); the same names as targets.cached.CacheMode.
CACHE_MODES: tuple[str, ...] = ("read-write", "read-only", "off", "refresh")
DEFAULT_CACHE = "read-write"
