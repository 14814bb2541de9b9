"""The Python API from a notebook: `evaluate()` inside a running event loop, `await
evaluate_async()`, and `to_pandas()` with the Parquet export's columns."""

from __future__ import annotations

import asyncio
import sys
import types
from pathlib import Path
from typing import Any

import pytest

import tightrope
from tightrope.report.exports import flat_rows
from tightrope.report.loader import load_runs

KW: dict[str, Any] = {"target": "python:fake_targets:rule", "judges": ("refusal",), "limit": 4}


def test_evaluate_works_inside_a_running_event_loop(tmp_path: Path) -> None:
    async def cell() -> tightrope.RunResult:  # what a Jupyter cell runs in
        return tightrope.evaluate(**KW, out=tmp_path)

    res = asyncio.run(cell())
    assert len(res.records) == 4 and res.model_calls == 4


def test_evaluate_async_runs_on_the_callers_loop(tmp_path: Path) -> None:
    res = asyncio.run(tightrope.evaluate_async(**KW, out=tmp_path))
    again = tightrope.evaluate(**KW, out=tmp_path)
    assert res.tables == again.tables and again.cache_hits == 4


def test_to_pandas_has_the_parquet_exports_columns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    res = tightrope.evaluate(**KW, out=tmp_path)
    seen: list[list[dict[str, Any]]] = []
    fake = types.ModuleType("pandas")
    fake.DataFrame = lambda rows: seen.append(rows) or rows  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "pandas", fake)
    res.to_pandas()
    (exported,) = load_runs(tmp_path, [res.run_id])
    assert seen == [flat_rows(exported)]
    assert {"outcome", "verdict:refusal", "filtered", "prompt_tokens"} <= set(seen[0][0])
