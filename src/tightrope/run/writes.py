"""Store writes of the generate stage, coalesced per turn of the event loop.

Against a fast endpoint, two SQLite transactions per response (its cache entry, then the
response) cost more than the request itself: each commit blocks the event loop for a write to
the WAL, 0.1 to 0.5 ms on a busy disk. `BatchedWrites` keeps the rule that every answer lands in
the store as it arrives, but writes the answers that arrive in the same turn of the event loop
together: the first write of a turn schedules a flush for the next turn (`call_soon`), so under
load one transaction carries tens of answers, and a lone answer still lands within the turn.

A flush writes the cache entries and the responses in one transaction (`Store.transaction`):
a run killed mid-write keeps both or neither, so a resumed run asks exactly the calls whose
answers are missing (unbatched, a kill between an answer's two transactions left it cached but
not stored). A failed write (a full disk) is raised to the next writer and to
`close`, so it stops the stage as it did before.

After a flush has committed, `on_stored` (when given) receives the attempt ids of the
successful responses it wrote, cached ones included: the judging that runs along generation
(run/overlap.py) takes its work from there, so it never reads a response the store lacks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Sequence

from tightrope.records import Attempt, Response
from tightrope.store import Store

# A flush happens at once when this many items wait, however busy the turn.
MAX_PENDING = 1024


class BatchedWrites:
    """The store's response cache and response writes, buffered until the next loop turn.

    It satisfies `targets.cached.ResponseCache`, so the stage's models write their cache entries
    through it; `cached` flushes first, so a lookup sees every answer given so far.
    """

    def __init__(self, store: Store, on_stored: Callable[[list[str]], None] | None = None) -> None:
        self.store = store
        self.on_stored = on_stored
        self._cache: dict[str | None, list[tuple[str, str, Response]]] = {}
        self._responses: dict[tuple[str, bool], list[tuple[Attempt, str, Response]]] = {}
        self._pending = 0
        self._scheduled = False
        self._failed: BaseException | None = None
        self.flushes = 0

    def cached(self, keys: Iterable[str], version: str | None = None) -> dict[str, Response]:
        """Return the store's cached responses for `keys`, after writing what is buffered."""
        self.flush()
        return self.store.cached(keys, version)

    def put_cache(
        self, items: Sequence[tuple[str, str, Response]], version: str | None = None
    ) -> None:
        """Buffer cache entries (key, model spec, response) until the end of this loop turn."""
        self._cache.setdefault(version, []).extend(items)
        self._added(len(items))

    def put_responses(
        self,
        run_id: str,
        items: Sequence[tuple[Attempt, str, Response]],
        *,
        from_cache: bool = False,
    ) -> None:
        """Buffer responses of the run until the end of this loop turn."""
        self._responses.setdefault((run_id, from_cache), []).extend(items)
        self._added(len(items))

    def _added(self, n: int) -> None:
        if self._failed is not None:
            raise self._failed
        self._pending += n
        if self._pending >= MAX_PENDING:
            self.flush()
        elif not self._scheduled:
            self._scheduled = True
            asyncio.get_running_loop().call_soon(self._flush_soon)

    def _flush_soon(self) -> None:
        try:
            self.flush()
        except Exception as exc:  # raised to the next writer, and by close()
            self._failed = exc

    def flush(self) -> None:
        """Write everything buffered, cache entries and responses, in one transaction."""
        self._scheduled = False
        if not self._pending:
            return
        cache, self._cache = self._cache, {}
        responses, self._responses = self._responses, {}
        self._pending = 0
        with self.store.transaction():
            for version, entries in cache.items():
                self.store.put_cache(entries, version)
            for (run_id, from_cache), items in responses.items():
                self.store.put_responses(run_id, items, from_cache=from_cache)
        self.flushes += 1
        if self.on_stored is not None:
            ok = [a.id for items in responses.values() for a, _, r in items if r.ok]
            if ok:
                self.on_stored(ok)

    def close(self) -> None:
        """Write what is left; raise the error of a scheduled flush that failed."""
        if self._failed is not None:
            raise self._failed
        self.flush()
