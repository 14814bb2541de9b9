"""Export a run as Inspect AI eval logs, written with `inspect_ai`'s own API.

One log per target: every attempt is a sample (prompt messages, the model's answer or its
error, one score per judge plus the outcome the metrics count), and the run's headline rates
are the log's results. `inspect view --log-dir DIR` then browses tightrope runs. Needs the
optional extra: `pip install 'tightrope[inspect]'`.
"""

from __future__ import annotations

import hashlib
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
    """Return target -> log file: `output` itself when it names one `.eval`/`.json` file (one
    target), else files inside the folder `output`, named as Inspect names its own logs."""
    if len(run.targets) == 1 and output.suffix in (".eval", ".json"):
        return {run.targets[0]: output}
    return {t: output / f"{inspect_log_name(run, t)}.eval" for t in run.targets}


def _task(run: LoadedRun) -> str:
    suites = "+".join(str(s["name"]) for s in run.instrument.get("suites", [])) or "suite"
    return f"tightrope/{suites}"


def log_file_id(run_id: str, target: str) -> str:
    """The id in an Inspect log's file name: alphanumeric, unique per run and target."""
    digest = hashlib.sha256(target.encode()).hexdigest()[:6]
    return re.sub(r"[^A-Za-z0-9]", "", run_id) + digest


def inspect_log_name(run: LoadedRun, target: str) -> str:
    """Return Inspect's file name (no suffix) for the log of `target`: `<created>_<task>_<id>`.

    `inspect view` and `list_eval_logs` list a `.json` log only under a name of this form
    (`.eval` logs under any name), so a folder export uses it for both. Inspect reads the id
    back from the name up to its first `-`, so the id is the run id's letters and digits and 6
    hex digits of the target (`log_file_id`).
    """
    created = run.info.created_at
    task_id = log_file_id(run.run_id, target)
    try:
        from inspect_ai._util.log_layout import eval_log_name
    except ImportError:  # older inspect_ai: the same default pattern, written out
        task = _clean(_task(run).split("/")[-1])
        return f"{_clean(created)}_{task}_{task_id}"
    return str(eval_log_name(task=_task(run), task_id=task_id, created=created, model=target))


def _clean(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9-]+", "-", text)


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
                # Inspect's metric values are numbers: the 95% interval is two more metrics
                # beside the rate (as Inspect puts `stderr` beside `accuracy`).
                for end in ("low", "high"):
                    bound = getattr(r, end)
                    if bound == bound:  # not nan
                        metrics[f"{key}_ci_{end}"] = EvalMetric(name=f"{key}_ci_{end}", value=bound)
    gen = run.instrument.get("generation", {})
    ok = sum(1 for r in records if r.response is not None and r.response.ok)
    spec = EvalSpec(
        created=run.info.created_at,
        task=_task(run),
        task_id=run.run_id,
        run_id=run.run_id,
        eval_id=f"{run.run_id}-{_slug(target)}",
        dataset=EvalDataset(name=_task(run).split("/", 1)[1], samples=len(samples)),
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

    `output` is the log file (.eval or .json) when the run has one target, else a folder that
    gets one log per target under Inspect's own file names (`inspect_log_name`).
    """
    try:
        from inspect_ai.log import write_eval_log
    except ImportError:
        raise InputError(INSPECT_HINT) from None
    if len(run.targets) > 1 and output.suffix in (".eval", ".json"):
        raise InputError(
            f"{output}: the run has {len(run.targets)} targets; give a folder for one log each"
        )
    if output.suffix and output.suffix not in (".eval", ".json"):
        raise InputError(
            f"{output}: an Inspect log file must end in .eval or .json (or give a folder)"
        )
    paths = log_paths(run, output)
    if output.suffix not in (".eval", ".json"):
        output.mkdir(parents=True, exist_ok=True)
    for target, path in paths.items():
        write_eval_log(_eval_log(run, target), location=str(path))
    return list(paths.values())
