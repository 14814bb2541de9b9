"""`tightrope run`'s options into a `RunConfig`: the --config file, flags, -M and --target-config.

Precedence, lowest first: `--target-config`, the `--config` run file, the flags given on the
command line (`-M key=value` last). Everything is checked here, before anything is resolved or
written, and bad input is an `InputError` (one line, exit 2).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from tightrope.errors import InputError

if TYPE_CHECKING:
    import typer

    from tightrope.records import GenerationConfig
    from tightrope.run import RunConfig

GENERATION_FLAGS = ("temperature", "max_tokens", "seed", "system_prompt")
SETTING_FLAGS = ("batch_size", "concurrency", "timeout", "retries", "transport")


def merge_run_file(
    ctx: typer.Context,
    options: dict[str, Any],
    run_file: Path | None,
    *,
    also_given: frozenset[str] = frozenset(),
) -> tuple[dict[str, Any], dict[str, Any], dict[str, str] | None]:
    """Return (options, extra settings, the run file as stored) after applying `run_file`.

    A value of the file replaces an option only where the command line did not give it (or
    an alias of it, named in `also_given`); the file's setting keys (`top_p`, `threads`, ...)
    come back apart, for the targets.
    """
    if run_file is None:
        return options, {}, None
    from tightrope.run.run_file import OPTION_KINDS, load_run_file

    values = load_run_file(run_file)
    merged = dict(options)
    extra: dict[str, Any] = {}
    for key, value in values.items():
        if key not in OPTION_KINDS:
            extra[key] = value
        elif not _given(ctx, key) and key not in also_given:
            merged[key] = Path(value) if key in ("out", "target_config") else value
    stored = {"path": str(run_file), "text": run_file.read_text(encoding="utf-8")}
    return merged, extra, stored


def _given(ctx: typer.Context, name: str) -> bool:
    """True when the command line gave option `name` (by name: typer may vendor its own click,
    whose ParameterSource is not click's)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source.name == "COMMANDLINE"


def model_args(pairs: list[str] | None) -> dict[str, Any]:
    """Return `-M key=value` pairs (Inspect's model args) as target settings; values are read
    as YAML scalars (`-M timeout=30` is a number)."""
    import yaml

    from tightrope.run.run_file import SETTING_KEYS
    from tightrope.targets.config_file import GENERATION_KEYS

    out: dict[str, Any] = {}
    valid = sorted(SETTING_KEYS | GENERATION_KEYS | set(SETTING_FLAGS))
    for pair in pairs or ():
        key, sep, raw = pair.partition("=")
        key = key.strip().replace("-", "_")
        if not sep or not key:
            raise InputError(f"-M {pair!r}: write key=value, e.g. -M timeout=30")
        if key not in valid:
            raise InputError(f"-M {key}: unknown target setting; valid: {', '.join(valid)}")
        try:
            out[key] = yaml.safe_load(raw) if raw else ""
        except yaml.YAMLError:
            out[key] = raw
    return out


def build_config(
    options: dict[str, Any], extra: dict[str, Any], run_file: dict[str, str] | None
) -> RunConfig:
    """Return the run's `RunConfig` from the merged options (names as `tightrope run`'s)."""
    from tightrope.multiple_choice import CHOICE_SCORINGS
    from tightrope.run import RunConfig
    from tightrope.run.defaults import CACHE_MODES
    from tightrope.targets.config_file import GENERATION_KEYS

    cache = options["cache"]
    if cache not in CACHE_MODES:
        raise InputError(f"--cache {cache!r}: use one of {', '.join(CACHE_MODES)}")
    scoring = options.get("choice_scoring")
    if scoring is not None and scoring not in CHOICE_SCORINGS:
        raise InputError(f"--choice-scoring {scoring!r}: use one of {', '.join(CHOICE_SCORINGS)}")
    max_cost = options.get("max_cost")
    if max_cost is not None and max_cost <= 0:
        raise InputError(f"--max-cost {max_cost:g}: give a positive amount of US dollars")
    gen_flags = {k: options.get(k) for k in GENERATION_FLAGS}
    set_flags = {k: options.get(k) for k in SETTING_FLAGS}
    for key, value in extra.items():  # the run file's setting keys, below the flags
        bucket = gen_flags if key in GENERATION_KEYS else set_flags
        if bucket.get(key) is None:
            bucket[key] = value
    for key, value in model_args(options.get("model_arg")).items():  # -M, above them
        (gen_flags if key in GENERATION_KEYS else set_flags)[key] = value
    generation, settings = _generation_and_settings(
        options.get("target_config"), generation=gen_flags, settings=set_flags
    )
    judge_panel = options.get("judge_panel")
    # Options not given are left out, so RunConfig's defaults (run/config.py) apply: the
    # command line and the Python API share one set of defaults.
    given: dict[str, Any] = {
        "targets": tuple(options.get("target") or ()),
        "suites": tuple(options.get("suite") or ()),
        "attacks": tuple(options.get("attack") or ()),
        "judges": tuple(options.get("judge") or ()),
        "judge_panel": (judge_panel,) if judge_panel else (),
        "choice_scoring": scoring,
    }
    from pydantic import ValidationError

    try:
        return RunConfig(
            **{k: v for k, v in given.items() if v},
            limit=options.get("limit"),
            sample=options.get("sample"),
            sample_seed=options["sample_seed"],
            generation=generation,
            max_error_rate=options["max_error_rate"],
            target_settings=settings,
            attacker_model=options.get("attacker_model"),
            judge_model=options.get("judge_model"),
            combine=options["combine"],
            cache=cache,
            max_cost=max_cost,
            run_file=run_file,
        )
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"{first['loc'][0]}: {first['msg']}") from None


def _generation_and_settings(
    target_config: Path | None, *, generation: dict[str, Any], settings: dict[str, Any]
) -> tuple[GenerationConfig, dict[str, Any]]:
    """Merge --target-config with the generation and backend-setting values (a given value wins
    over the file); return the validated generation config and the backend settings."""
    gen: dict[str, Any] = {}
    backend: dict[str, Any] = {}
    if target_config is not None:
        from tightrope.targets.config_file import load_target_config

        gen, backend = load_target_config(target_config)
    backend.update({k: v for k, v in settings.items() if v is not None})
    gen.update({k: v for k, v in generation.items() if v is not None})
    return _generation(gen), backend


def _generation(values: dict[str, Any]) -> GenerationConfig:
    """Return a GenerationConfig, turning validation errors into one-line input errors."""
    from pydantic import ValidationError

    from tightrope.records import GenerationConfig

    try:
        return GenerationConfig(**values)
    except ValidationError as exc:
        first = exc.errors()[0]
        raise InputError(f"generation setting {first['loc'][0]}: {first['msg']}") from None
