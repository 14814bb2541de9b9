"""The machine-readable report: every rate of every run with n, errors and interval, plus the
instrument. `tightrope report RUN --json FILE` writes it; the viewer serves it as its API.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tightrope._version import __version__
from tightrope.metrics.rates import MetricsTable, Rate
from tightrope.report.loader import LoadedRun

RATE_NAMES = ("asr", "not_unsafe", "refusal_rate", "not_overrefuse")
FORMAT_VERSION = 1


def _num(x: float) -> float | None:
    return None if math.isnan(x) else x


def rate_json(r: Rate) -> dict[str, Any]:
    """Return a rate as JSON: k, n, errors, value and the 95% interval (null when n is 0)."""
    return {
        "k": r.k,
        "n": r.n,
        "errors": r.errors,
        "value": _num(r.value),
        "low": _num(r.low),
        "high": _num(r.high),
    }


def table_json(t: MetricsTable) -> dict[str, Any]:
    """Return one metrics table as JSON, one entry per category row ('all' last)."""
    return {
        "target": t.target,
        "attack": t.attack,
        "refusal_judge": t.refusal_judge,
        "harm_judge": t.harm_judge,
        "asr_basis": t.asr_basis,
        "rows": [
            {
                "category": row.category,
                "name": row.name,
                **{name: rate_json(getattr(row, name)) for name in RATE_NAMES},
                # Only when a provider's filter stopped some reply, so reports of runs
                # without any keep their shape.
                **(
                    {"filtered": {"harmful": row.filtered_harmful, "benign": row.filtered_benign}}
                    if row.filtered_harmful or row.filtered_benign
                    else {}
                ),
            }
            for row in t.rows
        ],
    }


def run_json(run: LoadedRun) -> dict[str, Any]:
    """Return one run as JSON: identity, status, instrument, error counts and tables."""
    return {
        "run_id": run.run_id,
        "status": run.info.status,
        "created_at": run.info.created_at,
        "finished_at": run.info.finished_at,
        "config": run.info.config,
        "instrument": run.instrument,
        "errors": run.error_counts(),
        "tables": [table_json(t) for t in run.tables],
    }


def report_json(runs: Sequence[LoadedRun]) -> dict[str, Any]:
    """Return the whole report as a JSON-ready dict."""
    return {
        "format": "tightrope-report",
        "format_version": FORMAT_VERSION,
        "generated_by": f"tightrope {__version__}",
        "runs": [run_json(r) for r in runs],
    }


def write_json(runs: Sequence[LoadedRun], path: Path) -> None:
    """Write the JSON report to `path` (UTF-8, indented, no NaN)."""
    text = json.dumps(report_json(runs), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
