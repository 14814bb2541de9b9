"""The plan's rows in a store: behaviors and planned attempts, written whole or chunk by chunk,
and what the generate stage reads back (mixed into `Store`, which owns the connection).

A plan row is an attempt with its cache key; `INSERT OR IGNORE` makes every write idempotent, so
a resumed run writes its whole plan again and only the rows a killed session had not written are
added, after the others (new rowids are always above the table's largest), in plan order.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence

from tightrope.records import Attempt, Behavior
from tightrope.store.boundary import guarded
from tightrope.store.queries import PENDING as _PENDING
from tightrope.store.queries import chunks as _chunks
from tightrope.store.queries import col
from tightrope.store.transaction import immediate

# Pending attempts of run `?` with rowid above `?`, found by a rowid range (the unary `+` keeps
# SQLite from using the (run_id, attempt_id) index, which would scan every row of the run), less
# those whose attack_params hold `true` under the JSON path `?`.
_PENDING_AFTER = (
    "SELECT a.rowid, a.attempt_id FROM attempts a LEFT JOIN responses r "
    "ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
    "WHERE a.rowid > ? AND +a.run_id=? AND (r.ok IS NULL OR r.ok=0) "
    "AND json_extract(a.data, ?) IS NOT 1 ORDER BY a.rowid"
)


def _insert(
    c: sqlite3.Connection,
    run_id: str,
    behaviors: Iterable[Behavior],
    attempts: Iterable[tuple[Attempt, str]],
) -> None:
    """Insert plan rows (lazily, one at a time), each with its copies of the fields the queries
    read (store/schema.py, COLUMNS); rows already stored are left as they are."""
    c.executemany(
        "INSERT OR IGNORE INTO behaviors (run_id, behavior_id, data, side, category) "
        "VALUES (?, ?, ?, ?, ?)",
        ((run_id, b.id, b.model_dump_json(), b.side, b.category) for b in behaviors),
    )
    c.executemany(
        "INSERT OR IGNORE INTO attempts (run_id, attempt_id, behavior_id, cache_key, data, "
        "target, attack) VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (run_id, a.id, a.behavior_id, key, a.model_dump_json(), a.target, a.attack)
            for a, key in attempts
        ),
    )


def param_path(key: str | None) -> str:
    """Return the JSON path of an attack_params key (a path no attempt has when None)."""
    return f'$.attack_params."{key}"' if key else '$."no attack_params key given"'


@guarded
class PlanTable:
    """Plan rows of a store (mixed into `Store`)."""

    _conn: sqlite3.Connection
    columns: bool

    def add_plan(
        self, run_id: str, behaviors: Iterable[Behavior], attempts: Iterable[tuple[Attempt, str]]
    ) -> None:
        """Store the behaviors and the planned attempts (with cache keys); idempotent.

        Both are consumed lazily, one row at a time, in one transaction: a plan given as a
        generator is never held whole in memory.
        """
        with immediate(self._conn) as c:
            _insert(c, run_id, behaviors, attempts)

    def last_attempt_rowid(self) -> int:
        """Return the largest rowid of the attempts table (0 when empty): every row added later,
        by any run, gets a larger one."""
        row = self._conn.execute("SELECT MAX(rowid) FROM attempts").fetchone()
        return int(row[0] or 0)

    def extend_plan(
        self,
        run_id: str,
        behaviors: Iterable[Behavior],
        attempts: Iterable[tuple[Attempt, str]],
        *,
        after: int,
        skip_marked: str | None = None,
    ) -> tuple[list[tuple[int, str]], int]:
        """Store one chunk of the plan (as `add_plan`, idempotent) and return what it added to
        generate, with the table's new largest rowid, both read in the same transaction.

        The first is (rowid, attempt id) of every pending attempt of the run above rowid
        `after` (pass the largest rowid returned by the previous chunk, or `last_attempt_rowid`
        before the first): the rows this chunk inserted, in plan order. A row that was already
        stored (a resumed run) is not inserted again and not returned; `skip_marked` as in
        `pending_rowids`.
        """
        with immediate(self._conn) as c:
            _insert(c, run_id, behaviors, attempts)
            added = [
                (int(rowid), str(aid))
                for rowid, aid in c.execute(
                    _PENDING_AFTER, (after, run_id, param_path(skip_marked))
                )
            ]
            last = c.execute("SELECT MAX(rowid) FROM attempts").fetchone()[0]
        return added, int(last or 0)

    def attempts(self, run_id: str) -> list[tuple[Attempt, str]]:
        """Return every planned attempt of a run with its cache key, in plan order."""
        rows = self._conn.execute(
            "SELECT data, cache_key FROM attempts WHERE run_id=? ORDER BY rowid", (run_id,)
        ).fetchall()
        return [(Attempt.model_validate_json(d), k) for d, k in rows]

    def pending_attempts(self, run_id: str) -> list[tuple[Attempt, str]]:
        """Return attempts that have no successful response yet (never run, or errored)."""
        rows = self._conn.execute(
            "SELECT a.data, a.cache_key FROM attempts a LEFT JOIN responses r "
            "ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
            "WHERE a.run_id=? AND (r.ok IS NULL OR r.ok=0) ORDER BY a.rowid",
            (run_id,),
        ).fetchall()
        return [(Attempt.model_validate_json(d), k) for d, k in rows]

    def pending_rowids(
        self, run_id: str, *, skip_marked: str | None = None, upto: int | None = None
    ) -> list[int]:
        """Return the rowids of attempts still to generate, in plan order.

        Pending means no successful response yet (never run, or errored). Attempts whose
        `attack_params[skip_marked]` is true are left out (the caller says which attempts
        another stage owns); with `upto`, so are rows above that rowid. Rowids are small
        integers, so a large run lists its pending work cheaply and reads the attempts chunk by
        chunk (`attempts_at`).
        """
        limit = "" if upto is None else f" AND a.rowid <= {int(upto)}"
        rows = self._conn.execute(
            f"SELECT a.rowid {_PENDING}{limit} ORDER BY a.rowid",
            (run_id, param_path(skip_marked)),
        )
        return [int(r[0]) for r in rows]

    def targets_to_generate(
        self, run_id: str, *, skip_marked: str | None = None, through_cache: bool = True
    ) -> list[str]:
        """Return the target specs with pending attempts, in plan order.

        With `through_cache`, only those with some pending attempt the response cache cannot
        answer. `skip_marked` leaves out attempts as in `pending_rowids`.
        """
        miss = "LEFT JOIN cache c ON c.cache_key=a.cache_key WHERE c.cache_key IS NULL "
        target = col(self.columns, "a", "target")
        rows = self._conn.execute(
            f"SELECT a.target_spec FROM (SELECT {target} "
            f"AS target_spec, a.cache_key, a.rowid AS rid {_PENDING}) a "
            f"{miss if through_cache else ''}GROUP BY a.target_spec ORDER BY MIN(a.rid)",
            (run_id, param_path(skip_marked)),
        )
        return [str(r[0]) for r in rows]

    def attempts_at(self, rowids: Sequence[int]) -> list[tuple[Attempt, str]]:
        """Return the attempts with these rowids and their cache keys, in rowid order."""
        out: list[tuple[Attempt, str]] = []
        for chunk in _chunks(rowids):
            marks = ",".join("?" * len(chunk))
            out += [
                (Attempt.model_validate_json(d), k)
                for d, k in self._conn.execute(
                    f"SELECT data, cache_key FROM attempts WHERE rowid IN ({marks}) ORDER BY rowid",
                    chunk,
                )
            ]
        return out
