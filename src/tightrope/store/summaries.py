"""Counts a store answers in SQL without building records: failed attempts, token usage per
target, a panel's verdicts, the judges that gave scores, table sizes (mixed into `Store`, which
owns the connection)."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator, Sequence

from tightrope.records import Verdict
from tightrope.store.boundary import guarded
from tightrope.store.queries import col, not_filtered


@guarded
class SummaryTable:
    """Aggregates over one run's rows."""

    _conn: sqlite3.Connection
    columns: bool

    def failed_attempts(
        self, run_id: str, judges: Sequence[str], *, choice_judges: Sequence[str] = ()
    ) -> int:
        """Return how many attempts failed: no ok response, or a judge's error or missing verdict.

        `judges` must judge every attempt of the harmful and benign sides, `choice_judges` every
        attempt of a `choice`-side (multiple-choice) behavior.
        """

        cols = self.columns

        def judged_ok(names: Sequence[str]) -> str:
            marks = ",".join("?" * len(names))
            return (
                f"(SELECT COUNT(*) FROM verdicts v WHERE v.run_id=a.run_id "
                f"AND v.attempt_id=a.attempt_id AND v.judge IN ({marks}) "
                f"AND {col(cols, 'v', 'label')} != 'error')"
            )

        is_choice = (
            f"(SELECT {col(cols, 'b', 'side')} = 'choice' FROM behaviors b "
            "WHERE b.run_id=a.run_id AND b.behavior_id=a.behavior_id)"
        )
        row = self._conn.execute(
            "SELECT COUNT(*) FROM attempts a LEFT JOIN responses r "
            "ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
            f"WHERE a.run_id=? AND (r.ok IS NOT 1 OR ({not_filtered(cols)} AND "
            f"CASE WHEN {is_choice} THEN {judged_ok(choice_judges)} < ? "
            f"ELSE {judged_ok(judges)} < ? END))",
            (run_id, *choice_judges, len(choice_judges), *judges, len(judges)),
        ).fetchone()
        return int(row[0])

    def usage_rows(self, run_id: str) -> Iterator[tuple[str, int, int]]:
        """Yield (target spec, prompt tokens, completion tokens) per response of a run."""
        rows = self._conn.execute(
            f"SELECT {col(self.columns, 'a', 'target')}, "
            f"{col(self.columns, 'r', 'prompt_tokens')}, "
            f"{col(self.columns, 'r', 'completion_tokens')} FROM responses r "
            "JOIN attempts a ON a.run_id=r.run_id AND a.attempt_id=r.attempt_id "
            "WHERE r.run_id=? ORDER BY a.rowid",
            (run_id,),
        )
        for spec, p, c in rows:
            yield str(spec), int(p or 0), int(c or 0)

    def verdicts_of(self, run_id: str, *, prefix: str) -> Iterator[tuple[str, Verdict]]:
        """Yield (judge name, verdict) for every verdict whose judge name starts with `prefix`."""
        pattern = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        for name, d in self._conn.execute(
            "SELECT judge, data FROM verdicts WHERE run_id=? AND judge LIKE ? ESCAPE '\\' "
            "ORDER BY rowid",
            (run_id, pattern),
        ):
            yield str(name), Verdict.model_validate_json(d)

    def scored_judges(self, run_id: str, meaning: str = "harm") -> set[str]:
        """Return the judges of a run with at least one verdict carrying a score of `meaning`.

        A verdict stored before scores were typed has no `score_meaning`; its kind is its
        meaning (as `Verdict` reads it).
        """
        rows = self._conn.execute(
            "SELECT DISTINCT judge FROM verdicts WHERE run_id=? "
            "AND json_extract(data, '$.score') IS NOT NULL "
            "AND coalesce(json_extract(data, '$.score_meaning'), json_extract(data, '$.kind'))=?",
            (run_id, meaning),
        )
        return {str(r[0]) for r in rows}

    def counts(self, run_id: str) -> dict[str, int]:
        """Return row counts of a run: attempts, responses, ok responses, verdicts."""
        q = self._conn.execute
        return {
            "attempts": q("SELECT COUNT(*) FROM attempts WHERE run_id=?", (run_id,)).fetchone()[0],
            "responses": q("SELECT COUNT(*) FROM responses WHERE run_id=?", (run_id,)).fetchone()[
                0
            ],
            "ok": q("SELECT COUNT(*) FROM responses WHERE run_id=? AND ok=1", (run_id,)).fetchone()[
                0
            ],
            "from_cache": q(
                "SELECT COUNT(*) FROM responses WHERE run_id=? AND from_cache=1", (run_id,)
            ).fetchone()[0],
            "verdicts": q("SELECT COUNT(*) FROM verdicts WHERE run_id=?", (run_id,)).fetchone()[0],
        }
