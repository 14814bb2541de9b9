"""A whole run in one YAML file: `tightrope run --config run.yaml`.

The keys are the options of `tightrope run`, spelled as in the command line without the dashes
(`max_tokens` or `max-tokens`), plus the keys of a `--target-config` file (generation keys such
as `top_p` and backend settings such as `threads` or `version`), so that a file written from a
stored run (`dump_run_file`, `tightrope export RUN --format config`) holds everything the run was
made with. Inspect's names for the same concepts are accepted too (`max_connections`,
`max_retries`, `system_message`, `log_dir`). A flag given on the command line wins over the file.

A bad key or value is one line naming the file and line, raised as `InputError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from tightrope import yamlsafe
from tightrope.errors import InputError
from tightrope.targets._base import KNOWN_SETTINGS
from tightrope.targets.config_file import GENERATION_KEYS

# Every option of `tightrope run` (but --config itself) and the kind of value it takes.
OPTION_KINDS: dict[str, str] = {
    "target": "list",
    "suite": "list",
    "attack": "list",
    "judge": "list",
    "attacker_model": "str",
    "judge_model": "str",
    "judge_panel": "str",
    "combine": "str",
    "limit": "int",
    "sample": "int",
    "sample_seed": "int",
    "max_tokens": "int",
    "temperature": "float",
    "seed": "int",
    "batch_size": "int",
    "concurrency": "int",
    "timeout": "float",
    "retries": "int",
    "system_prompt": "str",
    "target_config": "str",
    "max_error_rate": "float",
    "choice_scoring": "str",
    "out": "str",
    "cache": "str",
    "max_cost": "float",
    "dry_run": "bool",
    "resume": "str",
    "model_arg": "list",
}
# Keys of a --target-config file that are no option of their own: passed to the targets.
SETTING_KEYS = frozenset((GENERATION_KEYS | set(KNOWN_SETTINGS)) - set(OPTION_KINDS))
# Inspect AI's names for the same concepts. Inspect's max_retries counts retries after the
# first attempt; tightrope's retries counts attempts, the first included.
ALIASES = {"max_connections": "concurrency", "system_message": "system_prompt", "log_dir": "out"}
MAX_RETRIES = "max_retries"

_KIND_WORDS = {"int": "an integer", "float": "a number", "str": "a string", "bool": "true/false"}


def load_run_file(path: Path) -> dict[str, Any]:
    """Return the run file's values under the option names (`target`, `max_tokens`, ...).

    Option values keep their kind (a list for repeatable options); setting keys come back as
    they are, checked by the targets like a --target-config file's.
    """
    _, node, data = yamlsafe.read_file(path, "the run config")
    if data is None:
        return {}
    if not isinstance(data, dict) or not isinstance(node, yaml.MappingNode):
        raise InputError(f"{path}:1: the run config must be a mapping of option: value")
    lines = {str(k.value): k.start_mark.line + 1 for k, _ in node.value}
    return run_file_values(path, data, lines)


def run_file_values(
    path: Path, data: Mapping[Any, Any], lines: Mapping[str, int]
) -> dict[str, Any]:
    """Return a run file's values (`data`, read from `path`; `lines` gives each key's line)
    under the option names, checked as `load_run_file` checks them (a sweep file's shared
    settings are read the same way)."""
    values: dict[str, Any] = {}
    for raw_key, value in data.items():
        line = lines.get(str(raw_key), 1)
        key = str(raw_key).replace("-", "_")
        if key == MAX_RETRIES:
            key, value = "retries", _checked(path, line, raw_key, value, "int") + 1
        key = ALIASES.get(key, key)
        if key in values:
            raise InputError(f"{path}:{line}: {raw_key!r} sets {key!r} a second time; keep one")
        if key in OPTION_KINDS:
            values[key] = _checked(path, line, raw_key, value, OPTION_KINDS[key])
        elif key in SETTING_KEYS:
            values[key] = value
        else:
            valid = ", ".join(sorted(set(OPTION_KINDS) | SETTING_KEYS))
            raise InputError(f"{path}:{line}: unknown key {raw_key!r}; valid: {valid}")
    return values


def _checked(path: Path, line: int, key: object, value: Any, kind: str) -> Any:
    """Return `value` if it is of `kind` (a list option also takes one string), else fail."""
    if value is None:
        return None
    if kind == "list":
        items = [value] if isinstance(value, str) else value
        if isinstance(items, list) and all(isinstance(v, str) for v in items):
            return list(items)
        raise InputError(f"{path}:{line}: {key!s} takes a string or a list of strings")
    ok = {
        "int": isinstance(value, int) and not isinstance(value, bool),
        "float": isinstance(value, int | float) and not isinstance(value, bool),
        "str": isinstance(value, str),
        "bool": isinstance(value, bool),
    }[kind]
    if not ok:
        raise InputError(f"{path}:{line}: {key!s} takes {_KIND_WORDS[kind]}, not {value!r}")
    return float(value) if kind == "float" else value


def dump_run_file(config: Mapping[str, Any], *, run_id: str, out: str) -> str:
    """Return a run file that repeats a stored run: `config` is its stored `RunConfig`.

    Every choice is written out (the judges the run resolved, every generation key, every
    backend setting), so `tightrope run --config FILE` gives the same fingerprint: in the same
    store it is the same run, resumed; elsewhere it is made again the same way.
    """
    gen = dict(config.get("generation") or {})
    values: dict[str, Any] = {
        "target": list(config.get("targets", ())),
        "suite": list(config.get("suites", ())),
        "attack": list(config.get("attacks", ())),
        "judge": list(config.get("judges", ())),
        "judge_panel": next(iter(config.get("judge_panel") or ()), None),
        "combine": config.get("combine"),
        "attacker_model": config.get("attacker_model"),
        "judge_model": config.get("judge_model"),
        "limit": config.get("limit"),
        "sample": config.get("sample"),
        "sample_seed": config.get("sample_seed"),
        **{k: gen.get(k) for k in ("temperature", "max_tokens", "top_p", "seed", "system_prompt")},
        **dict(config.get("target_settings") or {}),
        "max_error_rate": config.get("max_error_rate"),
        "choice_scoring": config.get("choice_scoring"),
        "cache": config.get("cache"),
        "max_cost": config.get("max_cost"),
        "out": out,
    }
    body = yaml.safe_dump(
        {k: v for k, v in values.items() if v is not None and v != []},
        sort_keys=False,
        allow_unicode=True,
    )
    return f"# tightrope run --config THIS_FILE repeats run {run_id}\n{body}"
