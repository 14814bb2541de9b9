"""The per-run lock: one process per run, released however its holder ends, no files left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tightrope.errors import StoreError
from tightrope.store.lock import lock_path, run_lock

FP = "ab" * 32


def test_a_second_holder_is_refused_and_no_lock_file_is_left(tmp_path: Path) -> None:
    db = tmp_path / "tightrope.db"
    with run_lock(db, FP):
        assert lock_path(db, FP).exists()
        with pytest.raises(StoreError, match=f"process {os.getpid()}"), run_lock(db, FP):
            pass
    assert not lock_path(db, FP).exists()
    with run_lock(db, FP):  # free again
        pass
    assert list(tmp_path.iterdir()) == []


HOLD = """
import sys, time
from pathlib import Path
from tightrope.store.lock import run_lock
with run_lock(Path(sys.argv[1]), sys.argv[2]):
    print("held", flush=True)
    time.sleep(60)
"""


def test_a_sigkilled_holder_releases_the_run(tmp_path: Path) -> None:
    db = tmp_path / "tightrope.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(db), FP], stdout=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        with pytest.raises(StoreError, match=f"process {proc.pid}"), run_lock(db, FP):
            pass
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    with run_lock(db, FP):  # the kernel dropped the dead holder's lock
        pass


def test_holders_never_overlap_while_lock_files_come_and_go(tmp_path: Path) -> None:
    db = tmp_path / "tightrope.db"
    inside = 0
    peak = 0
    entered = 0
    guard = threading.Lock()
    deadline = time.monotonic() + 2.0

    def worker() -> None:
        nonlocal inside, peak, entered
        while time.monotonic() < deadline:
            try:
                with run_lock(db, FP):
                    with guard:
                        inside += 1
                        entered += 1
                        peak = max(peak, inside)
                    time.sleep(0.0005)
                    with guard:
                        inside -= 1
            except StoreError:
                pass

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert entered > 10 and peak == 1
    assert not lock_path(db, FP).exists()
