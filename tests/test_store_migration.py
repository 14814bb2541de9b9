"""Schema version 2: a version 1 store is migrated when opened for writing, and answers every
query the same before and after; opened read-only it is left as it is and read from its JSON.

`fixtures/store_v0_1_0/tightrope.db` is a version 1 store written by tightrope 0.1.0 (see
test_store_compat.py): a run interrupted with four responses missing, so the queries meet
answered, failed and unanswered attempts.
"""

from __future__ import annotations

import shutil
import sqlite3
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest

from storeplan import small_plan
from tightrope.records import Response, Usage, Verdict
from tightrope.store import Store
from tightrope.store.schema import COLUMNS, SCHEMA_VERSION

FIXTURE = Path(__file__).parent / "fixtures" / "store_v0_1_0" / "tightrope.db"


def _old_store(tmp_path: Path) -> Path:
    db = tmp_path / "tightrope.db"
    shutil.copy(FIXTURE, db)
    return db


def _version(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return str(conn.execute("SELECT value FROM meta WHERE key='schema_version'").fetchone()[0])


def _answers(store: Store) -> dict[str, Any]:
    """Everything the run's queries that read version 2's columns return, for each run."""
    out: dict[str, Any] = {}
    for info in store.runs():
        rid = info.run_id
        out[rid] = {
            "judged": list(store.judged(rid, refusal_judge="refusal", harm_judge=None)),
            "failed": store.failed_attempts(rid, ["refusal"]),
            "usage": list(store.usage_rows(rid)),  # token columns
            "unjudged": store.unjudged_rowids(rid, "refusal", choice=False),
            "targets": store.targets_to_generate(rid, through_cache=False),
            "counts": store.counts(rid),
        }
    return out


def test_the_fixture_is_a_version_1_store() -> None:
    assert _version(FIXTURE) == "1"
    assert SCHEMA_VERSION == "2"


def test_a_version_1_store_answers_the_same_after_its_migration(tmp_path: Path) -> None:
    db = _old_store(tmp_path)
    old = Store.open(db, readonly=True)
    assert not old.columns  # read from the JSON: a read-only store cannot be migrated
    before = _answers(old)
    old.close()
    assert _version(db) == "1"  # reading changed nothing
    assert any(a["failed"] for a in before.values())  # the interrupted run has failures
    assert any(a["judged"] for a in before.values())

    store = Store.open(db)
    assert store.columns
    assert _version(db) == "2"
    assert _answers(store) == before
    store.close()
    # Every copied field equals what the row's JSON says.
    with closing(sqlite3.connect(db)) as conn:
        for table, column, _, value in COLUMNS:
            rows = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
            same = conn.execute(
                f"SELECT COUNT(*) FROM {table} WHERE {column} IS {value.format(t='')}"
            )
            assert rows > 0 and same.fetchone()[0] == rows, (table, column)
    # Opened again (and read-only) it is a version 2 store, unchanged.
    again = Store.open(db, readonly=True)
    assert again.columns
    assert _answers(again) == before
    again.close()


def test_a_failed_migration_leaves_version_1_as_it_was(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = _old_store(tmp_path)
    import tightrope.store.schema as schema

    # The last column's filling fails: the columns added before it are rolled back too.
    broken = (*schema.COLUMNS[:-1], ("verdicts", "label", "TEXT", "no_such_function(data)"))
    monkeypatch.setattr(schema, "COLUMNS", broken)
    with pytest.raises(Exception, match="no_such_function"):
        Store.open(db)
    assert _version(db) == "1"
    with closing(sqlite3.connect(db)) as conn:
        names = {r[1] for r in conn.execute("PRAGMA table_info(behaviors)")}
    assert "side" not in names
    monkeypatch.undo()
    Store.open(db).close()
    assert _version(db) == "2"


def test_new_rows_carry_their_columns(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.create_run("r1", fingerprint="fp", config={}, instrument={})
    behaviors, attempts = small_plan(3, side="harmful")
    store.add_plan("r1", behaviors, attempts)
    (a0, k0), (a1, k1), _ = attempts
    store.put_responses(
        "r1",
        [
            (a0, k0, Response(text="hi", usage=Usage(prompt_tokens=3, completion_tokens=5))),
            (a1, k1, Response(text="", filtered="content_filter")),
        ],
    )
    v = Verdict(judge="refusal", judge_version="1", kind="refusal", label="compliance")
    store.put_verdicts("r1", [(a0.id, "refusal", v)])
    rows = {
        r[0]: r[1:]
        for r in store._conn.execute(
            "SELECT a.attempt_id, b.side, b.category, a.target, a.attack, r.filtered, v.label "
            "FROM attempts a JOIN behaviors b USING (run_id, behavior_id) "
            "LEFT JOIN responses r USING (run_id, attempt_id) "
            "LEFT JOIN verdicts v USING (run_id, attempt_id)"
        )
    }
    assert rows[a0.id] == ("harmful", "S1", "python:m:f", "direct", 0, "compliance")
    assert rows[a1.id] == ("harmful", "S1", "python:m:f", "direct", 1, None)
    assert rows[attempts[2][0].id][-2:] == (None, None)
    # The filtered reply is neither judged nor a failure; the unanswered attempt is a failure.
    assert store.unjudged_rowids("r1", "refusal") == []
    assert store.failed_attempts("r1", ["refusal"]) == 1
    assert list(store.usage_rows("r1")) == [("python:m:f", 3, 5), ("python:m:f", 0, 0)]
    store.close()
