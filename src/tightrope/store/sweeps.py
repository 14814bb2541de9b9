"""The sweep tables: which runs of a store make up a named sweep, one run per cell.

`Store` inherits these methods. A sweep is a name, the definition it was made from (the sweep
file's values, to tell an edited file from the same one) and its cells; each cell is the labels
of its axes (target, suite, attack, judge) and the run that measured it. A cell points at its
latest run: a cell whose run finished is not run again, an unfinished one resumes.
"""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict

from tightrope.store.boundary import guarded


class SweepCell(BaseModel):
    """One cell of a sweep as stored: its key, its axis labels and the run that measured it."""

    model_config = ConfigDict(frozen=True)

    cell: str
    position: int
    labels: dict[str, str]
    run_id: str | None


class SweepInfo(BaseModel):
    """One row of the sweeps table: the name, when it was made, its definition and state."""

    model_config = ConfigDict(frozen=True)

    name: str
    created_at: str
    finished_at: str | None
    status: str
    definition: dict[str, Any]


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


@guarded
class SweepTable:
    """The sweeps of a store (mixed into `Store`, which owns the connection)."""

    _conn: sqlite3.Connection

    def _has_sweeps(self) -> bool:
        """True when the store has the sweep tables (a store opened read-only may predate them)."""
        row = self._conn.execute(
            "SELECT 1 FROM sqlite_master WHERE type='table' AND name='sweep_cells'"
        ).fetchone()
        return row is not None

    def put_sweep(self, name: str, definition: dict[str, Any], cells: list[SweepCell]) -> None:
        """Create the sweep `name` with its cells, or mark it running again; idempotent.

        Cells already stored keep their runs; new cells are added without one.
        """
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.execute(
                "INSERT INTO sweeps VALUES (?, ?, NULL, 'running', ?) ON CONFLICT(name) DO "
                "UPDATE SET status='running', finished_at=NULL, definition=excluded.definition",
                (name, _now(), json.dumps(definition)),
            )
            self._conn.executemany(
                "INSERT OR IGNORE INTO sweep_cells VALUES (?, ?, ?, ?, NULL)",
                [(name, c.cell, c.position, json.dumps(c.labels)) for c in cells],
            )
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def tag_run(self, name: str, cell: str, run_id: str) -> None:
        """Record that `run_id` measures `cell` of sweep `name` (the run is tagged)."""
        self._conn.execute(
            "UPDATE sweep_cells SET run_id=? WHERE sweep=? AND cell=?", (run_id, name, cell)
        )

    def finish_sweep(self, name: str) -> None:
        """Mark the sweep finished (every cell's run finished)."""
        self._conn.execute(
            "UPDATE sweeps SET status='finished', finished_at=? WHERE name=?", (_now(), name)
        )

    def sweep(self, name: str) -> SweepInfo | None:
        """Return the sweep called `name`, or None when the store has none of that name."""
        if not self._has_sweeps():
            return None  # a store written before sweeps, opened read-only
        row = self._conn.execute(
            "SELECT name, created_at, finished_at, status, definition FROM sweeps WHERE name=?",
            (name,),
        ).fetchone()
        if row is None:
            return None
        return SweepInfo(
            name=row[0],
            created_at=row[1],
            finished_at=row[2],
            status=row[3],
            definition=json.loads(row[4]),
        )

    def sweeps(self) -> list[str]:
        """Return the names of the store's sweeps, newest first."""
        if not self._has_sweeps():
            return []
        rows = self._conn.execute("SELECT name FROM sweeps ORDER BY created_at DESC, name")
        return [str(r[0]) for r in rows]

    def sweep_cells(self, name: str) -> list[SweepCell]:
        """Return the cells of sweep `name` in the order of its definition."""
        rows = self._conn.execute(
            "SELECT cell, position, labels, run_id FROM sweep_cells WHERE sweep=? "
            "ORDER BY position, cell",
            (name,),
        )
        return [
            SweepCell(cell=c, position=p, labels=json.loads(lab), run_id=r) for c, p, lab, r in rows
        ]

    def sweep_of(self, run_id: str) -> list[str]:
        """Return the names of the sweeps a run is tagged with."""
        if not self._has_sweeps():
            return []
        rows = self._conn.execute(
            "SELECT DISTINCT sweep FROM sweep_cells WHERE run_id=? ORDER BY sweep", (run_id,)
        )
        return [str(r[0]) for r in rows]
