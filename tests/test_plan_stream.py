"""The plan streamed into generation (run/plan.py): the first requests leave before the plan is
stored whole, a run interrupted while its plan is still being written resumes to the records of
an uninterrupted run, and no attempt is generated twice.

Order is proven by events, never by timing: the `plan_watcher` target counts the plan rows in the
store when each call starts, and holds the calls after the first few until the test opens it.
"""

import asyncio
import json
import sqlite3
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from fake_targets import PLANNED, planned_reset
from storeplan import small_plan
from tightrope.errors import StoreError
from tightrope.records import Attempt, Behavior, Response
from tightrope.run import RunConfig, run_async
from tightrope.run import plan as plans
from tightrope.run.plan import PlanStream
from tightrope.store import Store

WATCHER = "python:fake_targets:plan_watcher"
N = 40


@pytest.fixture(autouse=True)
def small_chunks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Chunks of 4 rows, so a 40-behavior plan takes 10 writes."""
    monkeypatch.setattr(plans, "FIRST_ROWS", 4)
    monkeypatch.setattr(plans, "STEP_ROWS", 4)


def _config() -> RunConfig:
    return RunConfig(
        targets=(WATCHER,), limit=N, judges=("refusal",), target_settings={"concurrency": 2}
    )


def _rows(db: Path) -> list[tuple[str, str, str | None]]:
    """(attempt id, response less its latency, refusal label) of every attempt, by rowid."""
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT a.attempt_id, r.data, v.data FROM attempts a "
            "LEFT JOIN responses r ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
            "LEFT JOIN verdicts v ON v.run_id=a.run_id AND v.attempt_id=a.attempt_id "
            "ORDER BY a.rowid"
        ).fetchall()
    finally:
        conn.close()
    out = []
    for aid, resp, verdict in rows:
        r = json.loads(resp) if resp else {}
        r.pop("latency_s", None)
        label = json.loads(verdict)["label"] if verdict else None
        out.append((aid, json.dumps(r, sort_keys=True), label))
    return out


def _reference(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The rows of an uninterrupted run whose plan is stored whole before generation."""
    monkeypatch.setattr(plans, "FIRST_ROWS", 10**6)
    planned_reset(str(tmp_path / "ref" / "tightrope.db"))
    asyncio.run(run_async(_config(), out=tmp_path / "ref"))
    assert PLANNED["calls"][0][1] == N
    monkeypatch.setattr(plans, "FIRST_ROWS", 4)
    return _rows(tmp_path / "ref" / "tightrope.db")


def test_the_first_request_leaves_before_the_plan_is_stored_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _reference(tmp_path, monkeypatch)
    planned_reset(str(tmp_path / "tightrope.db"))
    res = asyncio.run(run_async(_config(), out=tmp_path))
    _, rows_at_first_call = PLANNED["calls"][0]
    assert 0 < rows_at_first_call < N, "generation waited for the whole plan"
    assert res.model_calls == N and not res.resumed
    assert set(Counter(p for p, _ in PLANNED["calls"]).values()) == {1}, "a prompt asked twice"
    assert _rows(tmp_path / "tightrope.db") == reference
    assert all(label is not None for _, _, label in reference)


async def _interrupt_when(task: asyncio.Task[Any], calls: int) -> None:
    for _ in range(6000):  # at most about 30 s
        if len(PLANNED["calls"]) >= calls or task.done():
            break
        await asyncio.sleep(0.005)
    task.cancel()  # what Ctrl-C does to the run
    with pytest.raises(asyncio.CancelledError):
        await task


def test_a_run_interrupted_while_its_plan_streams_resumes_to_the_same_records(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _reference(tmp_path, monkeypatch)
    db = tmp_path / "tightrope.db"
    planned_reset(str(db), hold_after=3)

    async def interrupted() -> None:
        # 3 answers, then 2 calls held in flight (concurrency 2) when the run is cancelled.
        await _interrupt_when(asyncio.create_task(run_async(_config(), out=tmp_path)), 5)

    asyncio.run(interrupted())
    stored = _rows(db)
    answered = len(PLANNED["answered"])
    assert answered == 3 and len(PLANNED["calls"]) == 5
    assert 3 < len(stored) < N, "the run must stop while its plan is still being written"
    assert sum(resp != "{}" for _, resp, _ in stored) == 3  # answered and stored, the rest not
    assert [r[0] for r in stored] == [r[0] for r in reference[: len(stored)]]
    PLANNED["open"] = True
    res = asyncio.run(run_async(_config(), out=tmp_path))
    assert res.resumed and res.model_calls == N - 3
    assert _rows(db) == reference
    assert sorted(Counter(PLANNED["answered"]).values()) == [1] * N, "an attempt answered twice"


def test_a_plan_write_that_fails_leaves_a_prefix_that_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reference = _reference(tmp_path, monkeypatch)
    db = tmp_path / "tightrope.db"
    planned_reset(str(db))
    extend = Store.extend_plan
    writes = []

    def failing(self: Store, *args: Any, **kwargs: Any) -> Any:
        writes.append(1)
        if len(writes) == 3:
            raise StoreError("disk full (the test's)")
        return extend(self, *args, **kwargs)

    monkeypatch.setattr(Store, "extend_plan", failing)
    with pytest.raises(StoreError, match="the test's"):
        asyncio.run(run_async(_config(), out=tmp_path))
    monkeypatch.setattr(Store, "extend_plan", extend)
    stored = _rows(db)
    assert len(stored) == 8  # two chunks of 4
    assert [r[0] for r in stored] == [r[0] for r in reference[:8]]
    kept = _answered_prompts(db)
    assert kept, "some answers must be stored before the failure"
    before = len(PLANNED["answered"])
    res = asyncio.run(run_async(_config(), out=tmp_path))
    assert res.resumed and res.model_calls == N - len(kept)
    assert _rows(db) == reference
    again = PLANNED["answered"][before:]
    # A call in flight when the write failed may be asked again (its answer was never stored);
    # an answer that was stored never is, and the resumed session asks each prompt once.
    assert not set(again) & kept, "a stored answer was asked again"
    assert len(again) == len(set(again)) == N - len(kept)


def _answered_prompts(db: Path) -> set[str]:
    conn = sqlite3.connect(db)
    try:
        rows = conn.execute(
            "SELECT json_extract(a.data, '$.messages[#-1].content') FROM attempts a "
            "JOIN responses r ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id WHERE r.ok=1"
        ).fetchall()
    finally:
        conn.close()
    return {str(r[0]) for r in rows}


def _drain(stream: PlanStream) -> list[list[str]]:
    out = []
    while items := stream.next():
        out.append([a.id for a, _ in items])
    assert stream.done
    return out


def _with_duplicate(attempts: list[tuple[Attempt, str]], at: int) -> Iterable[tuple[Attempt, str]]:
    yield from attempts[:at]
    yield attempts[1]  # the same attempt id again (two suites holding one behavior id)
    yield from attempts[at:]


def test_a_resumed_plan_hands_out_each_attempt_without_an_answer_once(tmp_path: Path) -> None:
    behaviors, attempts = small_plan(10)
    extra = Behavior(
        id="lonely", text="q", side="benign", category="S1", source_category="x", source="t@1"
    )
    store = Store.open(tmp_path)
    store.create_run("r", fingerprint="fp", config={}, instrument={})
    # A killed session stored 5 rows of the plan and answered rows 0 and 2; row 3 failed.
    store.add_plan("r", behaviors[:5], attempts[:5])
    (a0, k0), (a2, k2), (a3, k3) = attempts[0], attempts[2], attempts[3]
    store.put_responses(
        "r",
        [(a0, k0, Response(text="x")), (a2, k2, Response(text="y")), (a3, k3, Response(error="e"))],
    )
    stream = PlanStream(
        store, "r", [*behaviors, extra], _with_duplicate(attempts, 7), first=2, step=3
    )
    handed = _drain(stream)
    ids = [aid for chunk in handed for aid in chunk]
    assert ids == [f"b{i}/direct/0" for i in (1, 3, 4, 5, 6, 7, 8, 9)]
    assert handed[0] == ["b1/direct/0", "b3/direct/0", "b4/direct/0"]  # the stored ones first
    assert [a.id for a, _ in store.attempts("r")] == [a.id for a, _ in attempts]
    assert {r.behavior.id for r in store.records("r")} == {b.id for b in behaviors}
    conn = store._conn
    assert conn.execute("SELECT COUNT(*) FROM behaviors WHERE run_id='r'").fetchone()[0] == 11
    assert stream.next() == []
    store.close()


def test_a_plan_written_whole_hands_out_what_is_pending(tmp_path: Path) -> None:
    behaviors, attempts = small_plan(6)
    store = Store.open(tmp_path)
    store.create_run("r", fingerprint="fp", config={}, instrument={})
    stream = PlanStream(store, "r", behaviors, iter(attempts))
    stream.write_all()
    assert stream.done and len(store.attempts("r")) == 6
    assert _drain(stream) == [[a.id for a, _ in attempts]]
    store.close()


def test_the_progress_bar_total_grows_as_the_plan_lands() -> None:
    import io

    from rich.console import Console

    from tightrope.report.progress import RichProgress

    bar = RichProgress(Console(file=io.StringIO(), force_terminal=True, width=100))
    bar.start("generating", 4)
    bar.advance(3)
    bar.extend(4)
    bar.extend(0)
    task = bar._current()
    assert (task.completed, task.total) == (3, 8)
    bar.finish()
    bar.close()
