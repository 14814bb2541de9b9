"""The machine-readable report: every rate of every run with n, errors and interval, the
instrument, and each headline rate corrected for its judge's measured error (`corrected`).
`tightrope report RUN --json FILE` writes it; the viewer serves it as its API.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tightrope._version import __version__
from tightrope.judges.card import JudgeCard
from tightrope.metrics.hierarchy import hierarchy_metrics, hierarchy_note
from tightrope.metrics.rates import MetricsTable, Rate
from tightrope.report.choice import choice_json
from tightrope.report.corrected import (
    RateCorrection,
    TableCorrections,
    report_corrections,
    run_unseen_attacks,
)
from tightrope.report.helm import helm_json
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
        # Only for tables of instruction-hierarchy suites, so other reports keep their shape.
        **(
            {
                "hierarchy": {m.key: {"label": m.label, **rate_json(m.rate)} for m in named},
            }
            if (named := hierarchy_metrics(t))
            else {}
        ),
        **({"hierarchy_note": note} if (note := hierarchy_note(t)) else {}),
    }


def card_json(card: JudgeCard) -> dict[str, Any]:
    """Return the part of a judge card a correction used: judge, version, set, counts, Se, Sp."""
    return {
        "judge": card.judge,
        "version": card.version,
        "set": card.set.name,
        "side": card.set.side,
        "n": card.set.n,
        "tp": card.tp,
        "fp": card.fp,
        "fn": card.fn,
        "tn": card.tn,
        "se": _num(card.sensitivity.value),
        "sp": _num(card.specificity.value),
        "date": card.date,
    }


def correction_json(c: RateCorrection) -> dict[str, Any]:
    """Return one corrected rate as JSON numbers: observed k of n, the corrected estimate and
    its 95% interval (null with a `reason` when no correction is made) and the card used."""
    return {
        "rate": c.rate,
        "judge": c.judge,
        "k": c.k,
        "n": c.n,
        "observed": _num(c.observed),
        "corrected": c.ok,
        "estimate": _num(c.estimate),
        "low": _num(c.low),
        "high": _num(c.high),
        "reason": c.reason or None,
        "run_judge_version": c.run_version,
        "card_version_differs": c.version_differs,
        "card": card_json(c.card) if c.card is not None else None,
    }


def corrections_json(tables: Sequence[TableCorrections]) -> list[dict[str, Any]]:
    """Return a run's corrections as JSON, one entry per metrics table (overall row)."""
    return [
        {
            "target": t.target,
            "attack": t.attack,
            "rates": [correction_json(c) for c in t.rates],
        }
        for t in tables
    ]


def run_json(run: LoadedRun, corrected: Sequence[TableCorrections] | None = None) -> dict[str, Any]:
    """Return one run as JSON: identity, status, instrument, error counts, tables and the
    judge-error-corrected rates (`corrected`, computed with the cards when not given), and,
    for a run with an attack whose harm judge's card has leave-one-source-out figures,
    `harm_judge_on_new_attacks` (`report.unseen_attacks`, carried by the corrections)."""
    if corrected is None:
        corrected = report_corrections([run])[run.run_id]
    unseen = run_unseen_attacks(corrected)
    return {
        "run_id": run.run_id,
        "status": run.info.status,
        "created_at": run.info.created_at,
        "finished_at": run.info.finished_at,
        "config": run.info.config,
        "instrument": run.instrument,
        "errors": run.error_counts(),
        "tables": [table_json(t) for t in run.tables],
        "corrected": corrections_json(corrected),
        "helm": helm_json(run.helm()),
        "multiple_choice": choice_json(run.choice()),
        # Only where there is a caveat, so other reports keep their shape.
        **({"harm_judge_on_new_attacks": unseen} if unseen is not None else {}),
    }


def report_json(
    runs: Sequence[LoadedRun],
    corrections: Mapping[str, Sequence[TableCorrections]] | None = None,
) -> dict[str, Any]:
    """Return the whole report as a JSON-ready dict (`corrections` by run id, as
    `report_corrections` returns them; computed here when not given)."""
    corrections = report_corrections(runs) if corrections is None else corrections
    return {
        "format": "tightrope-report",
        "format_version": FORMAT_VERSION,
        "generated_by": f"tightrope {__version__}",
        "runs": [run_json(r, corrections[r.run_id]) for r in runs],
    }


def write_json(
    runs: Sequence[LoadedRun],
    path: Path,
    corrections: Mapping[str, Sequence[TableCorrections]] | None = None,
) -> None:
    """Write the JSON report to `path` (UTF-8, indented, no NaN)."""
    text = json.dumps(report_json(runs, corrections), indent=2, ensure_ascii=False, allow_nan=False)
    path.write_text(text + "\n", encoding="utf-8")
