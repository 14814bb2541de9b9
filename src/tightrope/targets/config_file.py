"""Target settings from a YAML file (`tightrope run --target-config FILE`).

A flat mapping: generation keys (system_prompt, temperature, max_tokens, top_p, seed) and backend
settings (concurrency, timeout, retries, batch_size, ...; see targets._base.KNOWN_SETTINGS).
Unknown keys are an error naming the file and line.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from tightrope import yamlsafe
from tightrope.errors import InputError
from tightrope.records import GenerationConfig
from tightrope.targets._base import KNOWN_SETTINGS, check_setting

GENERATION_KEYS = {"system_prompt", "temperature", "max_tokens", "top_p", "seed"}


def load_target_config(path: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return (generation overrides, backend settings) read from a YAML file."""
    _, node, data = yamlsafe.read_file(path, "the target config")
    if data is None:
        return {}, {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise InputError(f"{path}:1: the target config must be a mapping of key: value")
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    generation: dict[str, Any] = {}
    settings: dict[str, Any] = {}
    for key, value in data.items():
        where = f"{path}:{lines.get(str(key), 1)}"
        try:
            if key in GENERATION_KEYS:
                generation[key] = _check_generation(key, value)
            elif key in KNOWN_SETTINGS:
                settings[key] = check_setting(key, value)
            else:
                valid = ", ".join(sorted(GENERATION_KEYS | set(KNOWN_SETTINGS)))
                raise InputError(f"unknown key {key!r}; valid: {valid}")
        except InputError as exc:
            raise InputError(f"{where}: {exc}") from None
    return generation, settings


def _check_generation(key: str, value: Any) -> Any:
    """Return a generation value GenerationConfig accepts; InputError naming the key if not."""
    try:
        GenerationConfig.model_validate({key: value})
    except ValidationError as exc:
        msg = exc.errors()[0]["msg"]
        raise InputError(f"generation setting {key}: {value!r}: {msg}") from None
    return value
