"""The run store: one SQLite file (WAL mode) holding runs, records, verdicts and the response cache.

Every stage of a run reads and writes here as it goes, so a run killed at any point resumes from
what landed, and re-judging or re-aggregating never calls a model again (DESIGN.md).
"""

from __future__ import annotations

import json
import sqlite3
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict

from tightrope.errors import StoreError
from tightrope.records import Attempt, Behavior, Judged, Record, Response, Verdict
from tightrope.store.boundary import guarded, store_error
from tightrope.store.cache import CacheTable
from tightrope.store.judging import JudgingTable
from tightrope.store.plans import PlanTable
from tightrope.store.queries import col
from tightrope.store.schema import connect
from tightrope.store.summaries import SummaryTable
from tightrope.store.sweeps import SweepTable
from tightrope.store.transaction import immediate


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


class RunInfo(BaseModel):
    """One row of the runs table: identity, state, the stored config and the instrument."""

    model_config = ConfigDict(frozen=True)

    run_id: str
    fingerprint: str
    created_at: str
    finished_at: str | None
    status: str
    config: dict[str, Any]
    instrument: dict[str, Any]


@guarded
class Store(PlanTable, CacheTable, SweepTable, JudgingTable, SummaryTable):
    """A run store in one SQLite file. Open it with `Store.open(path)`.

    The plan's methods (`add_plan`, `extend_plan`, `pending_rowids`, `attempts_at`, ...) come
    from `PlanTable` (store/plans.py), the response cache's (`cached`, `put_cache`,
    `cache_entries`, `prune_cache`) from `CacheTable` (store/cache.py), the sweeps' from
    `SweepTable` (store/sweeps.py). Every
    public method raises `StoreError` (one line: the file and the fix), never a `sqlite3` error
    (`store.boundary`).
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, *, columns: bool = True) -> None:
        self._conn = conn
        self.path = path
        # Version 2's columns (store/schema.py); False only for a version 1 store opened
        # read-only, whose queries read the JSON instead.
        self.columns = columns

    @classmethod
    def open(cls, path: Path, *, readonly: bool = False) -> Store:
        """Open (creating if needed) the store at `path`, a file or a folder holding one.

        Reading commands pass `readonly`: the store must exist and no file is created or
        changed. Opening for writing first checks the file's pages (`PRAGMA quick_check`).
        Raises StoreError with the fix when the folder cannot be written, the file is damaged
        or is not a tightrope store.
        """
        conn, path, columns = connect(Path(path), readonly=readonly)
        return cls(conn, path, columns=columns)

    def close(self) -> None:
        """Close the connection (the WAL is checkpointed by SQLite)."""
        self._conn.close()

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """A context whose writes (put_cache, put_responses, ...) commit together, once.

        The generate stage writes each turn's cache entries and responses in one: a run killed
        mid-write keeps both or neither, so a resumed run asks exactly what is missing.
        """
        try:
            with self._tx() as conn:
                yield conn
        except sqlite3.Error as exc:
            raise store_error(self.path, exc) from None

    def _tx(self) -> AbstractContextManager[sqlite3.Connection]:
        return immediate(self._conn)  # inside transaction(): the outer one commits

    # --- runs -------------------------------------------------------------------------------

    def create_run(
        self, run_id: str, *, fingerprint: str, config: dict[str, Any], instrument: dict[str, Any]
    ) -> None:
        """Insert a new run in state 'running'."""
        with self._tx() as c:
            c.execute(
                "INSERT INTO runs VALUES (?, ?, ?, NULL, 'running', ?, ?)",
                (run_id, fingerprint, _now(), json.dumps(config), json.dumps(instrument)),
            )

    def finish_run(self, run_id: str) -> None:
        """Mark a run finished; a later identical command starts a new run over the cache."""
        with self._tx() as c:
            c.execute(
                "UPDATE runs SET status='finished', finished_at=? WHERE run_id=?", (_now(), run_id)
            )

    def annotate_run(self, run_id: str, key: str, value: Any) -> None:
        """Set `key` of a run's stored instrument to `value` (what a run learns as it goes,
        such as how many answers came from the cache); the fingerprint is not touched."""
        with self._tx() as c:
            c.execute(
                "UPDATE runs SET instrument=json_set(instrument, ?, json(?)) WHERE run_id=?",
                (f'$."{key}"', json.dumps(value), run_id),
            )

    def resumable_run(self, fingerprint: str) -> str | None:
        """Return the newest unfinished run with this fingerprint, if any."""
        row = self._conn.execute(
            "SELECT run_id FROM runs WHERE fingerprint=? AND status='running' "
            "ORDER BY created_at DESC, run_id DESC LIMIT 1",
            (fingerprint,),
        ).fetchone()
        return None if row is None else str(row[0])

    def run(self, run_id: str) -> RunInfo:
        """Return the run's row; StoreError if there is no such run."""
        row = self._conn.execute("SELECT * FROM runs WHERE run_id=?", (run_id,)).fetchone()
        if row is None:
            known = ", ".join(r.run_id for r in self.runs()[:5]) or "none yet"
            raise StoreError(f"{self.path}: no run {run_id!r} (latest: {known})")
        return _run_info(row)

    def runs(self) -> list[RunInfo]:
        """Return all runs, newest first."""
        rows = self._conn.execute(
            "SELECT * FROM runs ORDER BY created_at DESC, run_id DESC"
        ).fetchall()
        return [_run_info(r) for r in rows]

    # --- responses ---------------------------------------------------------------------------

    def put_responses(
        self,
        run_id: str,
        items: Sequence[tuple[Attempt, str, Response]],
        *,
        from_cache: bool = False,
    ) -> None:
        """Record responses in one transaction; `from_cache` marks answers the cache gave.

        A new response replaces an earlier errored one and drops verdicts given on it. The
        response cache is filled by the model wrapper that made the call (`put_cache`).
        """
        rows = [(a, k, r, r.model_dump_json()) for a, k, r in items]
        with self._tx() as c:
            c.executemany(
                "INSERT OR REPLACE INTO responses (run_id, attempt_id, cache_key, ok, from_cache, "
                "data, filtered, prompt_tokens, completion_tokens) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        run_id,
                        a.id,
                        k,
                        int(r.ok),
                        int(from_cache),
                        data,
                        int(r.filtered is not None),
                        r.usage.prompt_tokens,
                        r.usage.completion_tokens,
                    )
                    for a, k, r, data in rows
                ],
            )
            c.executemany(
                "DELETE FROM verdicts WHERE run_id=? AND attempt_id=?",
                [(run_id, a.id) for a, _, _, _ in rows],
            )

    def delete_attempts(self, run_id: str, attempt_ids: Sequence[str]) -> None:
        """Remove attempts with their responses and verdicts (a resumed search that diverged)."""
        with self._tx() as c:
            for table in ("verdicts", "responses", "attempts"):
                c.executemany(
                    f"DELETE FROM {table} WHERE run_id=? AND attempt_id=?",
                    [(run_id, aid) for aid in attempt_ids],
                )

    # --- verdicts ---------------------------------------------------------------------------

    def put_verdicts(self, run_id: str, items: Sequence[tuple[str, str, Verdict]]) -> None:
        """Record (attempt id, registry name, verdict) triples in one transaction."""
        with self._tx() as c:
            c.executemany(
                "INSERT OR REPLACE INTO verdicts (run_id, attempt_id, judge, data, label) "
                "VALUES (?, ?, ?, ?, ?)",
                [(run_id, aid, name, v.model_dump_json(), v.label) for aid, name, v in items],
            )

    # --- reading back -----------------------------------------------------------------------

    def records(self, run_id: str) -> list[Record]:
        """Return every record of a run, in plan order, with responses and verdicts attached."""
        self.run(run_id)
        behaviors = {
            bid: Behavior.model_validate_json(d)
            for bid, d in self._conn.execute(
                "SELECT behavior_id, data FROM behaviors WHERE run_id=?", (run_id,)
            )
        }
        responses = {
            aid: Response.model_validate_json(d)
            for aid, d in self._conn.execute(
                "SELECT attempt_id, data FROM responses WHERE run_id=?", (run_id,)
            )
        }
        verdicts: dict[str, dict[str, Verdict]] = {}
        for aid, name, d in self._conn.execute(
            "SELECT attempt_id, judge, data FROM verdicts WHERE run_id=?", (run_id,)
        ):
            verdicts.setdefault(aid, {})[name] = Verdict.model_validate_json(d)
        out = []
        for attempt, _ in self.attempts(run_id):
            out.append(
                Record(
                    run_id=run_id,
                    behavior=behaviors[attempt.behavior_id],
                    attempt=attempt,
                    response=responses.get(attempt.id),
                    verdicts=verdicts.get(attempt.id, {}),
                )
            )
        return out

    def judged(
        self, run_id: str, *, refusal_judge: str, harm_judge: str | None
    ) -> Iterator[Judged]:
        """Yield the fields the rates need for every attempt of a run, in plan order.

        Read straight from SQL (version 2's columns, store/schema.py), never as `Record`s: this
        is how a 100k-record run aggregates in flat memory.
        """
        self.run(run_id)
        intern = sys.intern
        cols = self.columns
        rows = self._conn.execute(
            f"SELECT a.behavior_id, {col(cols, 'b', 'side')}, {col(cols, 'b', 'category')}, "
            f"{col(cols, 'a', 'target')}, {col(cols, 'a', 'attack')}, r.ok, "
            f"{col(cols, 'vr', 'label')}, {col(cols, 'vh', 'label')}, "
            f"{col(cols, 'r', 'filtered')} FROM attempts a "
            "JOIN behaviors b ON b.run_id=a.run_id AND b.behavior_id=a.behavior_id "
            "LEFT JOIN responses r ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
            "LEFT JOIN verdicts vr ON vr.run_id=a.run_id AND vr.attempt_id=a.attempt_id "
            "AND vr.judge=? "
            "LEFT JOIN verdicts vh ON vh.run_id=a.run_id AND vh.attempt_id=a.attempt_id "
            "AND vh.judge=? WHERE a.run_id=? ORDER BY a.rowid",
            (refusal_judge, harm_judge or "", run_id),
        )
        for bid, side, cat, target, attack, ok, refusal, harm, filtered in rows:
            yield Judged(
                behavior_id=bid,
                side=intern(side),
                category=intern(cat),
                target=intern(target),
                attack=intern(attack),
                response_ok=None if ok is None else bool(ok),
                refusal_label=None if refusal is None else intern(refusal),
                harm_label=None if harm is None or harm_judge is None else intern(harm),
                filtered=bool(filtered),
            )


def _run_info(row: Sequence[Any]) -> RunInfo:
    return RunInfo(
        run_id=row[0],
        fingerprint=row[1],
        created_at=row[2],
        finished_at=row[3],
        status=row[4],
        config=json.loads(row[5]),
        instrument=json.loads(row[6]),
    )
