"""The plan of a run: every static attempt, with its cache key, in a deterministic order, and
how it reaches the store (`PlanStream`: chunk by chunk, while the generate stage works)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from itertools import islice

from tightrope.attacks import Attack, frame
from tightrope.attacks.adaptive import ADAPTIVE_MARK
from tightrope.records import Attempt, Behavior, GenerationConfig
from tightrope.store import Store
from tightrope.targets.cached import CachedModel


def plan(
    behaviors: Sequence[Behavior],
    targets: Sequence[CachedModel],
    attacks: Mapping[str, Attack],
    generation: GenerationConfig,
    *,
    choice_options: Mapping[str, str] | None = None,
) -> Iterator[tuple[Attempt, str]]:
    """Yield every attempt of the static attacks with its cache key, target by target.

    A generator: the store takes the plan row by row, so it is never held whole in memory. The
    key is the one every model call uses (`targets.cached.call_key`), so a static attempt and an
    adaptive query with the same messages share one cache entry. An attempt of a behavior in
    `choice_options` (id -> option letters) is scored by log-likelihood, and its key says so.
    """
    scored = choice_options or {}
    for t in targets:
        for name, atk in attacks.items():
            for b in behaviors:
                for i, variant in enumerate(atk.variants(b)):
                    attempt = Attempt(
                        id=f"{b.id}/{name}/{i}@{t.spec}",
                        behavior_id=b.id,
                        target=t.spec,
                        attack=name,
                        attack_params={**atk.params, **variant.params},
                        index=i,
                        messages=frame(b, variant.messages),
                    )
                    yield attempt, t.key(attempt.messages, generation, options=scored.get(b.id))


# A streamed plan's first chunk is small, so the first request leaves once 64 rows are stored;
# the rest go 256 at a time, one chunk per turn of the generate stage's producer.
FIRST_ROWS = 64
STEP_ROWS = 256
# Pending attempts stored by an earlier session read back at a time.
READ_ROWS = 2048


class PlanStream:
    """The plan of a run, written into the store chunk by chunk as the generate stage takes it.

    `next` returns the next attempts to generate, in plan order: first those an earlier session
    of the run stored and did not answer (a resumed run), then, chunk by chunk, those each
    write of the plan adds. Each chunk is one transaction holding its attempts and their
    behaviors, and what it returns is what that transaction inserted (`Store.extend_plan`), so
    a row is handed out once: a run killed at any point holds a prefix of its plan, and
    resuming writes the plan again (`INSERT OR IGNORE`), generating the stored rows without an
    answer and the rows the killed session never wrote. `write_all` stores the whole plan before
    generation instead (a local target: the plan would take the cores its batches need).
    """

    def __init__(
        self,
        store: Store,
        run_id: str,
        behaviors: Sequence[Behavior],
        attempts: Iterable[tuple[Attempt, str]],
        *,
        first: int | None = None,
        step: int | None = None,
    ) -> None:
        self.store = store
        self.run_id = run_id
        self._unwritten: dict[str, Behavior] = {}
        for b in behaviors:
            self._unwritten.setdefault(b.id, b)  # the store keeps the first of an id, too
        self._attempts = iter(attempts)
        self._size = max(1, first or FIRST_ROWS)
        self._step = max(1, step or STEP_ROWS)
        self._stored: list[int] | None = None
        self._read = 0
        self._cursor = 0
        self.done = False  # the whole plan is in the store

    def write_all(self) -> None:
        """Store the whole plan now, in one transaction, row by row (never held in memory)."""
        self.store.add_plan(self.run_id, list(self._unwritten.values()), self._attempts)
        self._written()

    def next(self) -> list[tuple[Attempt, str]]:
        """Return the next attempts to generate with their cache keys, in plan order; [] once
        the whole plan is stored and every attempt without an answer was handed out."""
        if self._stored is None:
            # What an earlier session stored: rows up to the table's last rowid (the run's lock
            # keeps any other process from adding rows of this run meanwhile).
            self._cursor = self.store.last_attempt_rowid()
            self._stored = self.store.pending_rowids(
                self.run_id, skip_marked=ADAPTIVE_MARK, upto=self._cursor
            )
        if self._read < len(self._stored):
            rowids = self._stored[self._read : self._read + READ_ROWS]
            self._read += len(rowids)
            return self.store.attempts_at(rowids)
        self._stored = []
        while not self.done:
            items = self._write_chunk()
            if items:
                return items
        return []

    def _write_chunk(self) -> list[tuple[Attempt, str]]:
        chunk = list(islice(self._attempts, self._size))
        last = len(chunk) < self._size
        self._size = self._step
        behaviors = [
            self._unwritten.pop(a.behavior_id) for a, _ in chunk if a.behavior_id in self._unwritten
        ]
        if last:
            behaviors += self._unwritten.values()
        added, self._cursor = self.store.extend_plan(
            self.run_id, behaviors, chunk, after=self._cursor, skip_marked=ADAPTIVE_MARK
        )
        if last:
            self._written()
        by_id: dict[str, tuple[Attempt, str]] = {}
        for item in chunk:
            by_id.setdefault(item[0].id, item)
        items = [by_id.get(aid) for _, aid in added]
        if any(item is None for item in items):  # not one of this chunk's: read it back
            return self.store.attempts_at([rowid for rowid, _ in added])
        return [item for item in items if item is not None]

    def _written(self) -> None:
        self.done = True
        self._unwritten = {}
        self._attempts = iter(())
