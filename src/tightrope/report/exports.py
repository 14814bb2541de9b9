"""Record exports: JSONL (one stored record per line, lossless) and Parquet (flat columns).

Parquet needs pyarrow (`pip install 'tightrope[parquet]'`), imported only when asked for.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.records import Record
from tightrope.report.loader import LoadedRun
from tightrope.report.samples import outcome_label, prompt_text


def write_jsonl(records: Sequence[Record], path: Path) -> int:
    """Write one JSON record per line (the stored `Record`, round-trippable); return the count."""
    with path.open("w", encoding="utf-8") as fh:
        for r in records:
            fh.write(r.model_dump_json() + "\n")
    return len(records)


def flat_rows(run: LoadedRun) -> list[dict[str, Any]]:
    """Return one flat dict per record: ids, behavior, prompt, response, usage, outcome and one
    `verdict:<judge>` column per configured judge (messages and verdicts also as JSON text).
    """
    judges = run.judge_names
    rows = []
    for r in run.records:
        resp = r.response
        row: dict[str, Any] = {
            "run_id": r.run_id,
            "attempt_id": r.attempt.id,
            "behavior_id": r.behavior.id,
            "side": r.behavior.side,
            "category": r.behavior.category,
            "source_category": r.behavior.source_category,
            "source": r.behavior.source,
            "behavior_text": r.behavior.text,
            "pair_id": r.behavior.pair_id,
            "target": r.attempt.target,
            "attack": r.attempt.attack,
            "attempt_index": r.attempt.index,
            "prompt": prompt_text(r),
            "messages_json": json.dumps([m.model_dump() for m in r.attempt.messages]),
            "response": resp.text if resp else None,
            "finish_reason": resp.finish_reason if resp else None,
            "prompt_tokens": resp.usage.prompt_tokens if resp else None,
            "completion_tokens": resp.usage.completion_tokens if resp else None,
            "latency_s": resp.latency_s if resp else None,
            "error": (resp.error if resp else "not generated"),
            "filtered": resp.filtered if resp else None,
            "outcome": outcome_label(r, refusal_judge=run.refusal_judge, harm_judge=run.harm_judge),
            "verdicts_json": json.dumps(
                {k: v.model_dump(mode="json") for k, v in r.verdicts.items()}
            ),
        }
        for name in judges:
            v = r.verdicts.get(name)
            row[f"verdict:{name}"] = v.label if v else None
        rows.append(row)
    return rows


def write_parquet(run: LoadedRun, path: Path) -> int:
    """Write the flat rows of a run as a Parquet file; return the row count.

    Raises InputError naming the extra to install when pyarrow is missing.
    """
    try:
        import pyarrow as pa
        import pyarrow.parquet as pq
    except ImportError:
        raise InputError("Parquet export needs pyarrow: pip install 'tightrope[parquet]'") from None
    rows = flat_rows(run)
    table = pa.Table.from_pylist(rows)
    table = table.replace_schema_metadata(
        {
            "tightrope.run_id": run.run_id,
            "tightrope.instrument": json.dumps(run.instrument),
        }
    )
    pq.write_table(table, path)
    return len(rows)
