"""Export one target x attack of a run as a JailbreakBench artifact (JSON).

The layout follows JailbreakBench's artifacts: a `parameters` block (method, model, attack
success rate, query and token totals, evaluation details) and one `jailbreaks` entry per
harmful behavior. `jailbroken` is exactly what tightrope's ASR counts (`unsafe`), so the
artifact's attack_success_rate equals the report's ASR.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from tightrope._version import __version__
from tightrope.errors import InputError
from tightrope.metrics.collapse import collapse
from tightrope.metrics.rates import unsafe_outcome
from tightrope.records import Record
from tightrope.report.loader import LoadedRun
from tightrope.report.samples import prompt_text


def _pick(values: list[str], given: str | None, what: str, flag: str, default: str) -> str:
    if given is not None:
        if given not in values:
            raise InputError(f"the run has no {what} {given!r}; its {what}s: {', '.join(values)}")
        return given
    if len(values) == 1:
        return values[0]
    if default in values:
        return default
    raise InputError(f"the run has several {what}s ({', '.join(values)}); choose one with {flag}")


def _error_of(attempts: list[Record]) -> str:
    """Return why a behavior has no outcome: the last response or verdict error."""
    for r in reversed(attempts):
        if r.response is not None and r.response.error:
            return r.response.error
        for name, v in r.verdicts.items():
            if not v.ok:
                return f"judge {name}: {v.raw or v.reason or 'error'}"
    return "no response"


def jbb_artifact(
    run: LoadedRun, *, target: str | None = None, attack: str | None = None
) -> dict[str, Any]:
    """Return the JailbreakBench artifact dict for one target and attack of `run`.

    Every harmful behavior has an entry, as JailbreakBench's format promises. One whose
    attempts all errored (generation or judging) is written as JailbreakBench writes a
    behavior with no response: `prompt` and `response` null, `jailbroken` false, plus an
    `error` field saying why; it is left out of the rate and of `number_of_submitted_prompts`,
    as in the metrics. `number_of_queries` counts the attempts made for the behavior.
    """
    t = _pick(run.targets, target, "target", "--target", "")
    a = _pick(run.attacks, attack, "attack", "--attack", "direct")
    grouped: dict[str, list[Record]] = defaultdict(list)
    for r in run.records:
        if r.attempt.target == t and r.attempt.attack == a and r.behavior.side == "harmful":
            grouped[r.behavior.id].append(r)
    jailbreaks: list[dict[str, Any]] = []
    queries = prompt_tokens = response_tokens = 0
    for index, attempts in enumerate(grouped.values()):
        outcomes = [
            unsafe_outcome(r, refusal_judge=run.refusal_judge, harm_judge=run.harm_judge)
            for r in attempts
        ]
        failed = collapse(outcomes) == "error"
        jailbroken = "yes" in outcomes
        chosen = attempts[outcomes.index("yes")] if jailbroken else attempts[-1]
        resp = chosen.response
        b = chosen.behavior
        p_tokens = resp.usage.prompt_tokens if resp else 0
        r_tokens = resp.usage.completion_tokens if resp else 0
        queries += len(attempts)
        prompt_tokens += p_tokens
        response_tokens += r_tokens
        entry: dict[str, Any] = {
            "index": index,
            "goal": b.text,
            "behavior": b.id,
            "category": b.source_category,
            "prompt": None if failed else prompt_text(chosen),
            "response": None if failed or resp is None else resp.text,
            "number_of_queries": len(attempts),
            "queries_to_jailbreak": (outcomes.index("yes") + 1) if jailbroken else None,
            "prompt_tokens": p_tokens,
            "response_tokens": r_tokens,
            "jailbroken": jailbroken,
        }
        if failed:
            entry["error"] = _error_of(attempts)
        jailbreaks.append(entry)
    n = sum(1 for j in jailbreaks if j["prompt"] is not None)
    k = sum(1 for j in jailbreaks if j["jailbroken"])
    judge = run.harm_judge or f"{run.refusal_judge} (refusal-based)"
    params = {
        "method": a,
        "model": t,
        "attack_type": "manual" if a == "direct" else "black_box",
        "attack_success_rate": k / n if n else 0.0,
        "total_number_of_jailbreaks": k,
        "number_of_submitted_prompts": n,
        "total_number_of_queries": queries,
        "total_prompt_tokens": prompt_tokens,
        "total_response_tokens": response_tokens,
        "evaluation_date": (run.info.finished_at or run.info.created_at)[:10]
        or date.today().isoformat(),
        "evaluation_llm_provider": "tightrope",
        "evaluation_judge": judge,
        "method_parameters": {
            "tightrope_version": __version__,
            "run_id": run.run_id,
            "generation": run.instrument.get("generation", {}),
            "suites": run.instrument.get("suites", []),
        },
    }
    return {"parameters": params, "jailbreaks": jailbreaks}


def write_jbb(
    run: LoadedRun, path: Path, *, target: str | None = None, attack: str | None = None
) -> int:
    """Write the JailbreakBench artifact to `path`; return the number of behaviors in it."""
    artifact = jbb_artifact(run, target=target, attack=attack)
    path.write_text(json.dumps(artifact, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return len(artifact["jailbreaks"])
