"""examples/notebook.ipynb runs offline: its code cells are executed in order, in one namespace,
inside a running event loop as in Jupyter (no jupyter needed: the .ipynb is JSON)."""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest

NOTEBOOK = Path(__file__).resolve().parents[1] / "examples" / "notebook.ipynb"


def code_cells(path: Path) -> list[str]:
    """Return the source of every code cell of a notebook, in order."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    return ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]


def test_notebook_has_no_stored_outputs_and_runs_offline(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    nb = json.loads(NOTEBOOK.read_text(encoding="utf-8"))
    assert all(not c.get("outputs") for c in nb["cells"] if c["cell_type"] == "code")
    monkeypatch.setattr(sys, "path", list(sys.path))  # the notebook adds its scratch folder
    namespace: dict[str, Any] = {"__name__": "__notebook__"}

    async def in_a_running_loop() -> None:
        for source in code_cells(NOTEBOOK):
            exec(compile(source, str(NOTEBOOK), "exec"), namespace)

    try:
        asyncio.run(in_a_running_loop())
        result = namespace["result"]
        assert result.model_calls == 20 and result.errors == 0
        assert {t.refusal_judge for t in result.tables} == {"refusal"}
        printed = capsys.readouterr().out
        assert f"run {result.run_id}" in printed and "not_unsafe" in printed
        overall = result.tables[0].rows[-1]
        assert overall.category == "all" and overall.not_unsafe.n > 0
    finally:
        sys.modules.pop("notebook_model", None)
        if "work" in namespace:
            shutil.rmtree(namespace["work"], ignore_errors=True)
