"""Damaged, read-only, full and shared stores: one line naming the file and the fix, nothing lost."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from clihelp import cli_env, tightrope
from tightrope.errors import StoreError
from tightrope.records import Attempt, Message, Response
from tightrope.store import Store

RULE = "python:fake_targets:rule"
RUN = ("run", "--judge", "refusal", "--target", RULE, "--limit", "4")


def _one_line_error(r: subprocess.CompletedProcess[str]) -> str:
    assert r.returncode == 2, (r.returncode, r.stdout, r.stderr)
    lines = [ln for ln in r.stderr.strip().splitlines() if ln.strip()]
    assert len(lines) == 1 and "Traceback" not in r.stderr, r.stderr
    return lines[0]


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _damage(db: Path) -> None:
    """Overwrite the header of the attempts table's root page (the page of a run's records)."""
    conn = sqlite3.connect(db)
    size = conn.execute("PRAGMA page_size").fetchone()[0]
    root = conn.execute("SELECT rootpage FROM sqlite_master WHERE name='attempts'").fetchone()[0]
    conn.close()
    with db.open("r+b") as fh:
        fh.seek((root - 1) * size)
        fh.write(b"\xff" * 64)


def test_damaged_store_read_commands_fail_in_one_line(stored_run: tuple[Path, str]) -> None:
    runs, _ = stored_run
    _damage(runs / "tightrope.db")
    for args in (("report", "latest"), ("export", "latest", "-f", "jsonl", "-o", "x.jsonl")):
        line = _one_line_error(tightrope(*args, "--out", "runs", cwd=runs.parent))
        assert "tightrope.db" in line and "damaged" in line and ".recover" in line
    r = tightrope("runs", "--out", "runs", cwd=runs.parent)
    assert "Traceback" not in r.stderr and r.returncode in (0, 2)
    assert not (runs.parent / "x.jsonl").exists()


def test_damaged_store_is_never_written_to(stored_run: tuple[Path, str]) -> None:
    runs, _ = stored_run
    db = runs / "tightrope.db"
    _damage(db)
    before = (_digest(db), sorted(p.name for p in runs.iterdir()))
    line = _one_line_error(tightrope(*RUN, "--out", "runs", cwd=runs.parent))
    assert "tightrope.db" in line and "quick_check" in line and "--out" in line
    assert (_digest(db), sorted(p.name for p in runs.iterdir())) == before


def test_reading_commands_open_the_store_read_only(stored_run: tuple[Path, str]) -> None:
    runs, _ = stored_run
    db = runs / "tightrope.db"
    before = _digest(db)
    for args in (("runs",), ("report", "latest"), ("export", "latest", "-f", "jsonl", "-o", "x")):
        r = tightrope(*args, "--out", "runs", cwd=runs.parent)
        assert r.returncode == 0, r.stderr
    assert _digest(db) == before
    wal = runs / "tightrope.db-wal"  # SQLite may leave an empty WAL beside a WAL-mode store
    assert not wal.exists() or wal.stat().st_size == 0
    store = Store.open(runs, readonly=True)
    try:
        with pytest.raises(StoreError, match="read-only"):
            store.finish_run(store.runs()[0].run_id)
    finally:
        store.close()
    if os.geteuid() != 0:  # root writes anywhere: the folder's mode is checked only for others
        db.chmod(0o444)
        runs.chmod(0o555)
        try:
            r = tightrope("report", "latest", "--out", "runs", cwd=runs.parent)
            assert r.returncode == 0, r.stderr
            line = _one_line_error(tightrope(*RUN, "--out", "runs", cwd=runs.parent))
            assert "runs" in line and "--out" in line
        finally:
            runs.chmod(0o755)
            db.chmod(0o644)


def test_a_full_disk_is_one_line_and_the_store_survives(stored_run: tuple[Path, str]) -> None:
    runs, run_id = stored_run
    store = Store.open(runs)
    try:
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count={pages}")  # what a full disk looks like
        attempt = Attempt(
            id="x", behavior_id="b", target="t", messages=(Message(role="user", content="q"),)
        )
        big = Response(text="Sure, here is how to [REDACTED]: Step 1 ..." * 5000)
        with pytest.raises(StoreError) as caught:
            store.put_responses(run_id, [(attempt, "k", big)])
        message = str(caught.value)
        assert "\n" not in message and "tightrope.db" in message and "disk" in message
        assert store.counts(run_id)["responses"] == 4
    finally:
        store.close()


def test_every_sqlite_error_becomes_a_store_error(tmp_path: Path) -> None:
    store = Store.open(tmp_path)
    store.close()
    for call in (store.runs, lambda: list(store.usage_rows("r")), lambda: store.counts("r")):
        with pytest.raises(StoreError, match=r"tightrope\.db"):
            call()


def test_a_second_identical_run_says_which_process_holds_it(tmp_path: Path) -> None:
    slow = ("run", "--judge", "refusal", "--target", "python:fake_targets:slow_logged")
    args = [sys.executable, "-m", "tightrope", *slow, "--limit", "4", "--out", "runs"]
    # The first run's calls wait for the gate file, so it holds the run until the test opens it.
    gate = tmp_path / "gate"
    env = cli_env(TIGHTROPE_TEST_DELAY="0", TIGHTROPE_TEST_GATE=str(gate))
    first = subprocess.Popen(args, cwd=tmp_path, env=env, stderr=subprocess.PIPE, text=True)
    try:
        assert first.stderr is not None
        while "run" not in (line := first.stderr.readline()):  # "starting run ID"
            assert line, "the first run ended before it started"
        line = _one_line_error(
            tightrope(
                *slow, "--limit", "4", "--out", "runs", cwd=tmp_path, TIGHTROPE_TEST_DELAY="0"
            )
        )
        assert f"process {first.pid}" in line and "wait" in line
    finally:
        gate.touch()
        assert first.wait(timeout=120) == 0
    again = tightrope(
        *slow, "--limit", "4", "--out", "runs", cwd=tmp_path, TIGHTROPE_TEST_DELAY="0"
    )
    assert again.returncode == 0 and "0 model calls" in again.stdout, again.stderr
