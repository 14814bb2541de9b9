"""Resume after SIGKILL: the record set equals an uninterrupted run's, with no duplicates."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from clihelp import cli_env

TARGET = "python:fake_targets:slow_logged"
N = 24


def _start(cwd: Path, out: str, log: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tightrope",
            "run",
            "--judge",
            "refusal",
            "--target",
            TARGET,
            "--limit",
            str(N),
            "--out",
            out,
        ],
        cwd=cwd,
        env=cli_env(TIGHTROPE_TEST_CALL_LOG=str(log), TIGHTROPE_TEST_DELAY="0.15"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _calls(log: Path) -> list[str]:
    return log.read_text().split() if log.exists() else []


def _records(db: Path) -> list[tuple[str, str, str]]:
    conn = sqlite3.connect(db)
    rows = conn.execute(
        "SELECT r.attempt_id, r.data, v.data FROM responses r JOIN verdicts v "
        "ON v.run_id=r.run_id AND v.attempt_id=r.attempt_id ORDER BY r.attempt_id"
    ).fetchall()
    conn.close()
    return rows


def _stored_ok(db: Path) -> int:
    if not db.exists():
        return 0
    conn = sqlite3.connect(db)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM responses WHERE ok=1").fetchone()[0])
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def _strip_latency(rows: list[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    import json

    out = []
    for aid, resp, verdict in rows:
        r = json.loads(resp)
        r.pop("latency_s")
        out.append((aid, json.dumps(r, sort_keys=True), verdict))
    return out


def test_sigkill_at_several_points_then_rerun_equals_uninterrupted(tmp_path: Path) -> None:
    ref_log = tmp_path / "ref.log"
    ref = _start(tmp_path, "ref", ref_log)
    assert ref.wait(timeout=300) == 0, ref.stderr.read() if ref.stderr else ""
    assert len(_calls(ref_log)) == N
    expected = _strip_latency(_records(tmp_path / "ref" / "tightrope.db"))
    assert len(expected) == N

    log = tmp_path / "calls.log"
    db = tmp_path / "runs" / "tightrope.db"
    kills = 0
    run_ids = set()
    # Kill after this many new calls of each process; with 4 calls in flight at a time, some
    # kills land before anything was stored and others between batches.
    for new_calls in (1, 5, 6, 9, 3, 7):
        before = len(_calls(log))
        proc = _start(tmp_path, "runs", log)
        deadline = time.monotonic() + 120
        while len(_calls(log)) < before + new_calls and proc.poll() is None:
            assert time.monotonic() < deadline, "the run never got going"
            time.sleep(0.005)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait(timeout=30)
        run_ids.add(_run_ids(db))
    assert kills >= 5, "each kill must land while the run is in flight"
    assert len(run_ids) == 1, "every restart resumed the same run"
    assert 0 < _stored_ok(db) < N

    missing = N - _stored_ok(db)
    assert missing > 0
    calls_before = len(_calls(log))
    final = _start(tmp_path, "runs", log)
    _out, err = final.communicate(timeout=300)
    assert final.returncode == 0, err
    assert "resuming run" in err
    assert len(_calls(log)) - calls_before == missing, "only the missing calls are made"
    got = _strip_latency(_records(db))
    assert got == expected
    conn = sqlite3.connect(db)
    assert conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0] == N
    assert conn.execute("SELECT COUNT(*) FROM runs").fetchone()[0] == 1
    conn.close()


def _run_ids(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return ",".join(r[0] for r in conn.execute("SELECT run_id FROM runs"))
    finally:
        conn.close()
