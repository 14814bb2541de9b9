"""What a tracker logs of a run, built once from the store: params, metrics and files.

Everything comes from the stored run (`report.loader.LoadedRun`), so a run logged when it
finishes and the same run logged later (`tightrope report RUN --log-to mlflow`) log the same
numbers. Metric names keep to the characters every tracker accepts (letters, digits, `_`, `-`,
`/`); see docs/tracking.md for the names.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tightrope.metrics.rates import MetricsTable, Rate
from tightrope.report.loader import LoadedRun

RATE_NAMES = ("asr", "not_unsafe", "refusal_rate", "not_overrefuse")
HEADLINE = ("not_unsafe", "not_overrefuse")
BASELINE = "direct"
# MLflow's limit on a param value (mlflow.utils.validation.MAX_PARAM_VAL_LENGTH).
MAX_PARAM_LENGTH = 6000
_BAD = re.compile(r"[^A-Za-z0-9_\-/]+")


@dataclass(frozen=True)
class RunPayload:
    """One run as a tracker logs it: its id, params, metrics and the files to attach."""

    run_id: str
    params: dict[str, str]
    metrics: dict[str, float]
    instrument: dict[str, Any]
    # Files to attach (the HTML report, instrument.json, config.json), in a folder the caller owns.
    files: tuple[Path, ...]


def metric_key(*parts: str) -> str:
    """Return a metric name every tracker accepts: each part's other characters become `_`,
    parts are joined by `/` (MLflow refuses `:`, `@` and names that look like paths)."""
    cleaned = [_BAD.sub("_", p.replace("/", "_")).strip("_") or "_" for p in parts]
    return "/".join(cleaned)


def rate_metrics(key: str, r: Rate) -> dict[str, float]:
    """Return `key` (the rate), `key_low`, `key_high` (its Wilson 95% interval), `key_n` and
    `key_errors`; the rate and interval are left out when n is 0 (they are undefined)."""
    out: dict[str, float] = {f"{key}_n": float(r.n), f"{key}_errors": float(r.errors)}
    if r.n and not math.isnan(r.value):
        out[key] = r.value
        out[f"{key}_low"] = r.low
        out[f"{key}_high"] = r.high
    return out


def run_metrics(run: LoadedRun) -> dict[str, float]:
    """Return every metric of a run by name.

    With one target: `not_unsafe` and `not_overrefuse` (the baseline attack over all
    categories), `asr/ATTACK` per attack, and `ATTACK/CATEGORY/RATE` for every table row; with
    several targets each of these names starts with `TARGET/`. Each rate comes with `_low`,
    `_high`, `_n` and `_errors`. Then the run's counts: `records`, `errors` (records that failed
    in any way), `generation_errors`, `judge_errors` and `error_rate`.
    """
    several = len({t.target for t in run.tables}) > 1
    out: dict[str, float] = {}
    for table in run.tables:
        head = (table.target,) if several else ()
        out.update(_table_metrics(table, head))
    counts = run.error_counts()
    records = counts.get("records", 0)
    out["records"] = float(records)
    out["errors"] = float(counts.get("failed", 0))
    out["generation_errors"] = float(counts.get("generation_errors", 0))
    out["judge_errors"] = float(counts.get("judge_errors", 0))
    out["error_rate"] = counts.get("failed", 0) / records if records else 0.0
    return out


def _table_metrics(table: MetricsTable, head: tuple[str, ...]) -> dict[str, float]:
    """Return one (target, attack) table's metrics: every row's four rates, the attack's ASR
    and, for the baseline attack, the headline rates."""
    out: dict[str, float] = {}
    for row in table.rows:
        for name in RATE_NAMES:
            key = metric_key(*head, table.attack, row.category, name)
            out.update(rate_metrics(key, getattr(row, name)))
    overall = table.overall
    out.update(rate_metrics(metric_key(*head, "asr", table.attack), overall.asr))
    if table.attack == BASELINE:
        for name in HEADLINE:
            out.update(rate_metrics(metric_key(*head, name), getattr(overall, name)))
    return out


def run_params(run: LoadedRun) -> dict[str, str]:
    """Return the run's params: targets, suites, attacks, judges (with versions), generation
    settings, sampling, run id, fingerprint and tightrope version, as strings (unset ones left
    out)."""
    config, instrument = run.info.config, run.instrument
    judges = [f"{j['name']} v{j.get('version', '?')}" for j in instrument.get("judges", [])]
    suites = [f"{s['name']}@{s.get('version', '?')}" for s in instrument.get("suites", [])]
    params: dict[str, Any] = {
        "run_id": run.run_id,
        "fingerprint": run.info.fingerprint,
        "tightrope_version": instrument.get("tightrope_version", "?"),
        "target": ", ".join(run.targets),
        "suite": ", ".join(suites) or ", ".join(map(str, config.get("suites", []))),
        "attack": ", ".join(run.attacks),
        "judge": ", ".join(judges),
        "limit": config.get("limit"),
        "sample": config.get("sample"),
        "sample_seed": config.get("sample_seed"),
    }
    for key, value in (config.get("generation") or {}).items():
        params[f"generation.{key}"] = value
    return {k: _param(v) for k, v in params.items() if v is not None}


def _param(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, sort_keys=True)
    return text[:MAX_PARAM_LENGTH]


def build_payload(run: LoadedRun, folder: Path) -> RunPayload:
    """Return the payload of `run`, writing its files into `folder`: `report.html` (the
    report `tightrope report --html` writes), `instrument.json` and `config.json`."""
    from tightrope.report.writers import write_reports

    folder.mkdir(parents=True, exist_ok=True)
    html = folder / "report.html"
    write_reports([run], html=html)
    instrument = folder / "instrument.json"
    instrument.write_text(json.dumps(run.instrument, indent=2, sort_keys=True), encoding="utf-8")
    config = folder / "config.json"
    body = {"run_id": run.run_id, "fingerprint": run.info.fingerprint, "config": run.info.config}
    config.write_text(json.dumps(body, indent=2, sort_keys=True), encoding="utf-8")
    return RunPayload(
        run_id=run.run_id,
        params=run_params(run),
        metrics=run_metrics(run),
        instrument=run.instrument,
        files=(html, instrument, config),
    )
