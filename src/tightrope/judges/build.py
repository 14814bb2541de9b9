"""Turning a run's judge options into judges: `--judge`, `--judge-model`, `--judge-panel`.

`build_judges` makes every judge a run asks for: the panel (if any) first, so that it drives
the table for its kind, then each `--judge`, LLM judges on `--judge-model`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from tightrope.judges._base import Judge, get_judge, judges, needs_model
from tightrope.judges.panel import Panel


def parse_panel(text: str | Sequence[str]) -> list[tuple[str, str | None]]:
    """Return (judge name, model spec or None) for each member of ``a,b=SPEC,c``.

    A member written ``name=SPEC`` runs on its own model; a bare name uses ``--judge-model``.
    """
    parts = text.split(",") if isinstance(text, str) else [p for t in text for p in t.split(",")]
    out: list[tuple[str, str | None]] = []
    for part in parts:
        name, sep, spec = part.strip().partition("=")
        if not name:
            continue
        judges.get(name)
        out.append((name, spec.strip() if sep and spec.strip() else None))
    return out


def build_judges(
    names: Sequence[str],
    *,
    judge_model: str | None = None,
    panel: Sequence[str] = (),
    combine: str = "majority",
    settings: Mapping[str, Any] | None = None,
    model_for: Callable[[str], Any] | None = None,
) -> dict[str, Judge]:
    """Return name -> judge for a run: the panel first (when given), then each `--judge`.

    LLM judges run on `judge_model` (a member of the panel may name its own); an LLM judge
    without a model is an InputError. `model_for` turns a model spec into the run's shared
    backend (one per spec, behind the run's cache); without it each judge makes its own.
    """
    extra = dict(settings or {})
    out: dict[str, Judge] = {}

    def model(spec: str | None) -> Any:
        return model_for(spec) if model_for is not None and spec is not None else spec

    if panel:
        members = [
            get_judge(
                name, model=model(spec or judge_model), **(extra if needs_model(name) else {})
            )
            for name, spec in parse_panel(panel)
        ]
        p = Panel(members, combine)
        out[p.name] = p
    for name in names:
        if name in out:
            continue
        out[name] = get_judge(
            name, model=model(judge_model), **(extra if needs_model(name) else {})
        )
    return out


DEFAULT_REFUSAL_JUDGE = "refusal-clf"
DEFAULT_HARM_JUDGE = "harm-clf"
FALLBACK_REFUSAL_JUDGE = "refusal"


def default_judges() -> tuple[tuple[str, ...], str | None]:
    """Return the judges of a run that names none, and a notice when the default is replaced.

    The default is `refusal-clf`, the most accurate offline refusal judge on held-out XSTest
    rows, and `harm-clf`, the offline harm judge that makes the table's ASR harm-judged as
    HarmBench and JailbreakBench define it (docs/judges.md). Both need torch and the embedded
    model; where they are missing the run uses the rule judge `refusal` alone (its ASR is
    refusal-based), and the notice says so and how to get the default.
    """
    from tightrope.judges.clf import INSTALL, missing_packages

    missing = missing_packages()
    if not missing:
        return (DEFAULT_REFUSAL_JUDGE, DEFAULT_HARM_JUDGE), None
    return (FALLBACK_REFUSAL_JUDGE,), (
        f"judging with `{FALLBACK_REFUSAL_JUDGE}` alone, ASR refusal-based: the default judges "
        f"{DEFAULT_REFUSAL_JUDGE} and {DEFAULT_HARM_JUDGE} need {' and '.join(missing)} "
        f"({INSTALL})"
    )


def check_run_judges(judge_model: str | None, panel: str | None, combine: str) -> None:
    """Fail fast (InputError) on a bad --combine, panel member name or judge model scheme."""
    from tightrope.judges.panel import check_combine
    from tightrope.targets import parse_spec, targets

    check_combine(combine)
    specs = [judge_model] if judge_model else []
    if panel:
        specs += [spec for _, spec in parse_panel(panel) if spec]
    for spec in specs:
        targets.get(parse_spec(spec)[0])
