"""The generate stage's store writes, coalesced per turn of the event loop (run/writes.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storeplan import small_plan
from tightrope.errors import StoreError
from tightrope.records import Response
from tightrope.run.writes import BatchedWrites
from tightrope.store import Store


def _store(tmp_path: Path, n: int) -> tuple[Store, list]:
    store = Store.open(tmp_path)
    store.create_run("r1", fingerprint="f", config={}, instrument={})
    behaviors, attempts = small_plan(n)
    store.add_plan("r1", behaviors, attempts)
    return store, attempts


def test_answers_of_one_turn_land_together_within_the_turn(tmp_path: Path) -> None:
    store, attempts = _store(tmp_path, 30)
    writes = BatchedWrites(store)

    async def main() -> list[int]:
        stored = []

        async def answer(i: int) -> None:
            a, key = attempts[i]
            response = Response(text=f"answer {i}")
            writes.put_cache([(key, a.target, response)])
            writes.put_responses("r1", [(a, key, response)])

        # Twenty tasks answer in the same turn: one flush (two transactions) writes them all.
        await asyncio.gather(*(answer(i) for i in range(20)))
        stored.append((store.counts("r1")["responses"], writes.flushes))
        await answer(20)
        stored.append((store.counts("r1")["responses"], writes.flushes))  # scheduled, not yet
        await asyncio.sleep(0)
        stored.append((store.counts("r1")["responses"], writes.flushes))  # the next turn
        return stored

    assert asyncio.run(main()) == [(20, 1), (20, 1), (21, 2)]
    # The cache entries were written with them, and a lookup sees them.
    keys = [k for _, k in attempts[:21]]
    assert set(writes.cached(keys)) == set(keys)
    assert writes.cached([attempts[25][1]]) == {}
    store.close()


def test_a_lookup_writes_what_is_buffered_first(tmp_path: Path) -> None:
    store, attempts = _store(tmp_path, 2)
    writes = BatchedWrites(store)
    a, key = attempts[0]

    async def main() -> dict[str, Response]:
        writes.put_cache([(key, a.target, Response(text="cached"))])
        return writes.cached([key])

    assert asyncio.run(main())[key].text == "cached"
    store.close()


def test_a_failed_flush_is_raised_to_the_next_writer_and_to_close(tmp_path: Path) -> None:
    store, attempts = _store(tmp_path, 3)
    writes = BatchedWrites(store)

    async def main() -> None:
        a, key = attempts[0]
        writes.put_responses("r1", [(a, key, Response(text="x"))])
        store.close()  # the scheduled flush meets a closed store
        await asyncio.sleep(0)
        b, key_b = attempts[1]
        writes.put_responses("r1", [(b, key_b, Response(text="y"))])

    with pytest.raises(StoreError, match="closed"):
        asyncio.run(main())
    with pytest.raises(StoreError, match="closed"):
        writes.close()


def test_a_flush_is_one_transaction_cache_and_responses_together(tmp_path: Path) -> None:
    import sqlite3

    store, attempts = _store(tmp_path, 4)
    writes = BatchedWrites(store)
    a, key = attempts[0]
    b, key_b = attempts[1]
    real = store.put_responses

    def failing(run_id: str, items: list, *, from_cache: bool = False) -> None:
        real(run_id, items, from_cache=from_cache)  # written, then the disk fails
        raise sqlite3.OperationalError("disk I/O error")

    async def main() -> None:
        writes.put_cache([(key, a.target, Response(text="x"))])
        writes.put_cache([(key_b, b.target, Response(text="y"))])
        writes.put_responses("r1", [(a, key, Response(text="x"))])
        store.put_responses = failing  # type: ignore[method-assign]
        with pytest.raises(StoreError, match="disk is full or failing"):
            writes.flush()

    asyncio.run(main())
    store.put_responses = real  # type: ignore[method-assign]
    # Nothing of the failed flush is kept: neither the responses nor the cache entries.
    assert store.counts("r1")["responses"] == 0
    assert store.cached([key, key_b]) == {}
    store.close()
