"""What the judge stage reads from a store: the responses a judge has not judged yet, with their
behaviors and the conversations that were sent (mixed into `Store`, which owns the connection
and writes the verdicts)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from tightrope.records import Attempt, Behavior, Message, Response
from tightrope.store.boundary import guarded
from tightrope.store.queries import chunks as _chunks
from tightrope.store.queries import col, not_filtered


@guarded
class JudgingTable:
    """The judge stage's reads of a store."""

    _conn: sqlite3.Connection
    columns: bool

    def unjudged(self, run_id: str, judge: str) -> list[tuple[str, Behavior, Response]]:
        """Return (attempt id, behavior, response) for successful responses lacking a verdict."""
        return self.judge_items_at(self.unjudged_rowids(run_id, judge))

    def unjudged_rowids(
        self,
        run_id: str,
        judge: str,
        *,
        choice: bool | None = None,
        among: Sequence[str] | None = None,
    ) -> list[int]:
        """Return the attempt rowids of successful responses that `judge` has not judged.

        Replies a provider's filter stopped are not judged: the rates count them directly.
        `choice` True keeps only `choice`-side behaviors, False only the others, None all.
        `among` (attempt ids) looks at those attempts only: the judging that runs along the
        generate stage asks about the responses just stored, by the same rule as the judge
        stage, without scanning the run's every response.
        """
        if among is not None:
            out: list[int] = []
            for i in range(0, len(among), 500):
                out += self._unjudged(run_id, judge, choice, among[i : i + 500])
            return sorted(out)
        return self._unjudged(run_id, judge, choice, None)

    def _unjudged(
        self, run_id: str, judge: str, choice: bool | None, among: Sequence[str] | None
    ) -> list[int]:
        side = ""
        if choice is not None:
            side = (
                f"AND (SELECT {col(self.columns, 'b', 'side')} = 'choice' FROM behaviors b "
                f"WHERE b.run_id=a.run_id AND b.behavior_id=a.behavior_id) = {int(choice)} "
            )
        only = "" if among is None else f"AND r.attempt_id IN ({','.join('?' * len(among))}) "
        rows = self._conn.execute(
            "SELECT a.rowid FROM responses r "
            "JOIN attempts a ON a.run_id=r.run_id AND a.attempt_id=r.attempt_id "
            "LEFT JOIN verdicts v ON v.run_id=r.run_id AND v.attempt_id=r.attempt_id "
            "AND v.judge=? WHERE r.run_id=? AND r.ok=1 AND v.judge IS NULL "
            f"AND {not_filtered(self.columns)} {only}{side}ORDER BY a.rowid",
            (judge, run_id, *(among or ())),
        )
        return [int(r[0]) for r in rows]

    def judge_items_at(self, rowids: Sequence[int]) -> list[tuple[str, Behavior, Response]]:
        """Return (attempt id, behavior, response) for these attempt rowids, in rowid order."""
        out: list[tuple[str, Behavior, Response]] = []
        for chunk in _chunks(rowids):
            marks = ",".join("?" * len(chunk))
            out += [
                (aid, Behavior.model_validate_json(b), Response.model_validate_json(r))
                for aid, b, r in self._conn.execute(
                    "SELECT a.attempt_id, b.data, r.data FROM attempts a "
                    "JOIN responses r ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
                    "JOIN behaviors b ON b.run_id=a.run_id AND b.behavior_id=a.behavior_id "
                    f"WHERE a.rowid IN ({marks}) ORDER BY a.rowid",
                    chunk,
                )
            ]
        return out

    def conversations_at(self, rowids: Sequence[int]) -> list[tuple[Message, ...]]:
        """Return the messages each of these attempts sent (its whole conversation), in rowid
        order, for the same rows as `judge_items_at` (attempts with a response): what a judge
        whose protocol reads a conversation is given."""
        out: list[tuple[Message, ...]] = []
        for chunk in _chunks(rowids):
            marks = ",".join("?" * len(chunk))
            out += [
                Attempt.model_validate_json(data).messages
                for (data,) in self._conn.execute(
                    "SELECT a.data FROM attempts a JOIN responses r ON r.run_id=a.run_id AND "
                    f"r.attempt_id=a.attempt_id WHERE a.rowid IN ({marks}) ORDER BY a.rowid",
                    chunk,
                )
            ]
        return out
