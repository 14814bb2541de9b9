import sqlite3
from pathlib import Path

import pytest

from storeplan import small_plan
from tightrope.errors import StoreError
from tightrope.records import Response, Verdict
from tightrope.store import Store


def test_store_uses_wal_and_round_trips_records(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    mode = store._conn.execute("PRAGMA journal_mode").fetchone()[0]
    assert mode == "wal"
    # A new store's schema is written unsynced; every write after it is synced (NORMAL).
    assert store._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    store.create_run("r1", fingerprint="fp", config={"a": 1}, instrument={"i": 2})
    behaviors, attempts = small_plan(3)
    store.add_plan("r1", behaviors, attempts)
    store.add_plan("r1", behaviors, attempts)  # idempotent
    assert len(store.attempts("r1")) == 3
    a0, k0 = attempts[0]
    a1, k1 = attempts[1]
    store.put_responses("r1", [(a0, k0, Response(text="hello")), (a1, k1, Response(error="x"))])
    # the errored attempt stays pending; the cache is the model wrapper's to fill, and it
    # keeps successes only
    assert [a.id for a, _ in store.pending_attempts("r1")] == ["b1/direct/0", "b2/direct/0"]
    assert store.cached(["key0", "key1", "key2"]) == {}
    store.put_cache([(k0, a0.target, Response(text="hello")), (k1, a1.target, Response(error="x"))])
    assert set(store.cached(["key0", "key1", "key2"])) == {"key0"}
    unjudged = store.unjudged("r1", "refusal")
    assert [aid for aid, _, _ in unjudged] == ["b0/direct/0"]
    v = Verdict(judge="refusal", judge_version="1", kind="refusal", label="compliance")
    store.put_verdicts("r1", [("b0/direct/0", "refusal", v)])
    assert store.unjudged("r1", "refusal") == []
    records = store.records("r1")
    assert [r.attempt.id for r in records] == [a.id for a, _ in attempts]
    assert records[0].verdicts["refusal"].label == "compliance"
    assert records[1].response is not None and records[1].response.error == "x"
    assert records[2].response is None
    store.finish_run("r1")
    assert store.run("r1").status == "finished"
    assert store.resumable_run("fp") is None
    store.close()
    reopened = Store.open(tmp_path)
    assert reopened._conn.execute("PRAGMA synchronous").fetchone()[0] == 1
    assert reopened.run("r1").status == "finished"
    reopened.close()


def test_new_response_replaces_error_and_drops_old_verdicts(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.create_run("r1", fingerprint="fp", config={}, instrument={})
    behaviors, attempts = small_plan(3)
    store.add_plan("r1", behaviors, attempts)
    a0, k0 = attempts[0]
    store.put_responses("r1", [(a0, k0, Response(text="one"))])
    v = Verdict(judge="refusal", judge_version="1", kind="refusal", label="refusal")
    store.put_verdicts("r1", [(a0.id, "refusal", v)])
    store.put_responses("r1", [(a0, k0, Response(text="two"))])
    assert store.records("r1")[0].verdicts == {}
    assert store.counts("r1")["responses"] == 1


def test_corrupt_store_file_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "tightrope.db").write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="not a readable tightrope store"):
        Store.open(tmp_path)


def test_schema_version_mismatch_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / "tightrope.db")
    conn.execute("UPDATE meta SET value='999' WHERE key='schema_version'")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="schema version 999"):
        Store.open(tmp_path)


def test_unwritable_folder_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="cannot create the output folder"):
        Store.open(blocker / "sub")


def test_unknown_run_lists_known_ones(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.create_run("r1", fingerprint="fp", config={}, instrument={})
    with pytest.raises(StoreError, match="r1"):
        store.run("nope")
