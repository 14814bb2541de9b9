"""The response cache's table: lookups and writes for the model wrapper, info and pruning.

`Store` inherits these methods. Each entry carries the model spec that answered and, for targets
that have one, a source version (a `python:` target's function source hash): a lookup with a
version skips entries written under another one, so an edited function is asked again. Entries
written before versions existed carry none and are trusted as before.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from tightrope.records import Response
from tightrope.store.boundary import guarded


@dataclass(frozen=True)
class CacheEntries:
    """What the cache holds for one model spec."""

    target: str
    entries: int
    oldest: str
    newest: str


@guarded
class CacheTable:
    """The response cache of a store (mixed into `Store`, which owns the connection)."""

    _conn: sqlite3.Connection

    def cached(self, keys: Iterable[str], version: str | None = None) -> dict[str, Response]:
        """Return the cached successful responses for those cache keys that have one.

        With a `version`, entries stored under a different version are left out (stale).
        """
        out: dict[str, Response] = {}
        keys = list(keys)
        extra = "" if version is None else " AND (version IS NULL OR version=?)"
        for i in range(0, len(keys), 500):
            chunk = keys[i : i + 500]
            marks = ",".join("?" * len(chunk))
            params = [*chunk] if version is None else [*chunk, version]
            for key, data in self._conn.execute(
                f"SELECT cache_key, data FROM cache WHERE cache_key IN ({marks}){extra}", params
            ):
                out[key] = Response.model_validate_json(data)
        return out

    def put_cache(
        self, items: Sequence[tuple[str, str, Response]], version: str | None = None
    ) -> None:
        """Cache (key, model spec, response) triples; failures are skipped.

        A new answer replaces an older one under the same key: it was made because the old one
        was stale (another source version) or the run asked to refresh the cache.
        """
        now = datetime.now(UTC).isoformat(timespec="seconds")
        sql = (
            "INSERT OR REPLACE INTO cache (cache_key, target, data, created_at, version) "
            "VALUES (?, ?, ?, ?, ?)"
        )
        rows = [(k, spec, r.model_dump_json(), now, version) for k, spec, r in items if r.ok]
        if self._conn.in_transaction:  # inside Store.transaction(): committed with the rest
            self._conn.executemany(sql, rows)
            return
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            self._conn.executemany(sql, rows)
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")

    def cache_entries(self) -> list[CacheEntries]:
        """Return what the cache holds per model spec, most entries first."""
        rows = self._conn.execute(
            "SELECT target, COUNT(*), MIN(created_at), MAX(created_at) FROM cache "
            "GROUP BY target ORDER BY COUNT(*) DESC, target"
        )
        return [CacheEntries(str(t), int(n), str(lo), str(hi)) for t, n, lo, hi in rows]

    def prune_cache(
        self, *, targets: Sequence[str] = (), older_than_days: float | None = None
    ) -> int:
        """Delete cache entries of the given model specs and/or older than a number of days;
        with neither, every entry. Return how many were deleted. Stored runs are untouched."""
        where: list[str] = []
        params: list[str] = []
        if targets:
            where.append(f"target IN ({','.join('?' * len(targets))})")
            params += list(targets)
        if older_than_days is not None:
            cutoff = datetime.now(UTC) - timedelta(days=older_than_days)
            where.append("created_at < ?")
            params.append(cutoff.isoformat(timespec="seconds"))
        sql = "DELETE FROM cache" + (f" WHERE {' AND '.join(where)}" if where else "")
        self._conn.execute("BEGIN IMMEDIATE")
        try:
            deleted = self._conn.execute(sql, params).rowcount
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise
        self._conn.execute("COMMIT")
        return int(deleted)
