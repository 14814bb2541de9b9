"""Export a run as Inspect AI eval logs, written with `inspect_ai`'s own API.

One log per target: every attempt is a sample (prompt messages, the model's answer or its
error, one score per judge plus the outcome the metrics count), and the run's headline rates
are the log's results. `inspect view --log-dir DIR` then browses tightrope runs. Needs the
optional extra: `pip install 'tightrope[inspect]'`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.records import Record
from tightrope.report.json_report import rate_json
from tightrope.report.loader import LoadedRun
from tightrope.report.samples import outcome_label

INSPECT_HINT = "Inspect export needs inspect-ai: pip install 'tightrope[inspect]'"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "target"


def log_paths(run: LoadedRun, output: Path) -> dict[str, Path]:
    """Return target -> log file: `output` itself for one target, else files inside it."""
    if len(run.targets) == 1:
        return {run.targets[0]: output}
    return {t: output / f"{run.run_id}_{_slug(t)}.eval" for t in run.targets}


def _sample(record: Record, run: LoadedRun) -> Any:
    from inspect_ai.log import EvalError, EvalSample
    from inspect_ai.model import (
        ChatMessageAssistant,
        ChatMessageSystem,
        ChatMessageUser,
        ModelOutput,
    )
    from inspect_ai.scorer import Score

    kinds = {"system": ChatMessageSystem, "user": ChatMessageUser}
    messages: list[Any] = [
        kinds.get(m.role, ChatMessageAssistant)(content=m.content) for m in record.attempt.messages
    ]
    resp = record.response
    error = None
    if resp is not None and resp.ok:
        output = ModelOutput.from_content(model=record.attempt.target, content=resp.text or "")
        conversation = [*messages, ChatMessageAssistant(content=resp.text or "")]
    else:
        message = (resp.error if resp is not None else None) or "not generated"
        output = ModelOutput.from_content(
            model=record.attempt.target, content="", stop_reason="unknown", error=message
        )
        error = EvalError(message=message, traceback="", traceback_ansi="")
        conversation = messages
    outcome = outcome_label(record, refusal_judge=run.refusal_judge, harm_judge=run.harm_judge)
    scores = {
        "outcome": Score(
            value=outcome,
            answer=outcome,
            explanation="how tightrope's metrics count this record",
        )
    }
    for name, v in record.verdicts.items():
        scores[name] = Score(
            value=v.label,
            answer=v.label,
            explanation=v.reason,
            metadata={"judge_version": v.judge_version, "kind": v.kind, "score": v.score},
        )
    b = record.behavior
    return EvalSample(
        id=record.attempt.id,
        epoch=1,
        input=messages,
        target=b.target or "",
        messages=conversation,
        output=output,
        scores=scores,
        error=error,
        metadata={
            "behavior_id": b.id,
            "side": b.side,
            "category": b.category,
            "source_category": b.source_category,
            "source": b.source,
            "attack": record.attempt.attack,
            "attack_params": record.attempt.attack_params,
            "attempt_index": record.attempt.index,
        },
    )


def _eval_log(run: LoadedRun, target: str) -> Any:
    from inspect_ai.log import (
        EvalConfig,
        EvalDataset,
        EvalLog,
        EvalMetric,
        EvalResults,
        EvalScore,
        EvalSpec,
        EvalStats,
    )
    from inspect_ai.model import GenerateConfig

    records = [r for r in run.records if r.attempt.target == target]
    samples = [_sample(r, run) for r in records]
    metrics: dict[str, Any] = {}
    for t in run.tables:
        if t.target != target:
            continue
        for name in ("not_unsafe", "not_overrefuse", "asr"):
            r = getattr(t.overall, name)
            if r.n:
                key = name if t.attack == "direct" else f"{name}@{t.attack}"
                metrics[key] = EvalMetric(name=key, value=r.value, metadata=rate_json(r))
    gen = run.instrument.get("generation", {})
    suites = "+".join(str(s["name"]) for s in run.instrument.get("suites", [])) or "suite"
    ok = sum(1 for r in records if r.response is not None and r.response.ok)
    spec = EvalSpec(
        created=run.info.created_at,
        task=f"tightrope/{suites}",
        task_id=run.run_id,
        run_id=run.run_id,
        eval_id=f"{run.run_id}-{_slug(target)}",
        dataset=EvalDataset(name=suites, samples=len(samples)),
        model=target,
        model_generate_config=GenerateConfig(
            temperature=gen.get("temperature"),
            max_tokens=gen.get("max_tokens"),
            top_p=gen.get("top_p"),
            seed=gen.get("seed"),
            system_message=gen.get("system_prompt"),
        ),
        config=EvalConfig(),
        metadata={"tightrope": {"instrument": run.instrument, "config": run.info.config}},
    )
    return EvalLog(
        status="success" if run.info.status == "finished" else "started",
        eval=spec,
        results=EvalResults(
            total_samples=len(samples),
            completed_samples=ok,
            scores=[EvalScore(name="tightrope", scorer="tightrope", metrics=metrics)],
        ),
        stats=EvalStats(started_at=run.info.created_at, completed_at=run.info.finished_at or ""),
        samples=samples,
    )


def write_inspect_logs(run: LoadedRun, output: Path) -> list[Path]:
    """Write one Inspect eval log per target of `run`; return the files written.

    With one target `output` is the file (.eval or .json); with several it is a folder.
    """
    try:
        from inspect_ai.log import write_eval_log
    except ImportError:
        raise InputError(INSPECT_HINT) from None
    paths = log_paths(run, output)
    if len(paths) > 1:
        output.mkdir(parents=True, exist_ok=True)
    elif output.suffix not in (".eval", ".json"):
        raise InputError(f"{output}: an Inspect log file must end in .eval or .json")
    for target, path in paths.items():
        write_eval_log(_eval_log(run, target), location=str(path))
    return list(paths.values())
