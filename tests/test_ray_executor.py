"""The Ray executor on a local Ray cluster started here (this machine, 2 CPUs), stopped here.

Ray resolves 127.0.0.1 to the machine's own address (`ray._private.services.
resolve_ip_for_localhost`), so the cluster is this machine's but not bound to loopback only.

One cluster for the module (Ray takes seconds to start on 2 cores); each test bounded in time.
The same sweep on Ray and locally gives the same records; a worker killed with kill -9 in the
middle of a shard loses nothing and stores nothing twice; a killed driver resumes the sweep.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

from clihelp import TESTS
from test_sweep import kill_and_resume
from tightrope.run import RunConfig, run_async
from tightrope.run.executors.ray_pool import RayExecutor
from tightrope.run.sweep import Cell, run_sweep_async

SRC = Path(__file__).resolve().parent.parent / "src"
SLOW = "python:fake_targets:slow_logged"


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[str, Path]]:
    """Start a 2-CPU Ray cluster on 127.0.0.1 for the module; yield (address, call log)."""
    import ray

    temp = Path(tempfile.mkdtemp(prefix="rt-", dir="/tmp"))
    log = temp / "calls.log"
    saved = {
        k: os.environ.get(k)
        for k in ("PYTHONPATH", "TIGHTROPE_TEST_CALL_LOG", "TIGHTROPE_TEST_DELAY")
    }
    # The workers import tightrope and the test targets, and log their calls here.
    os.environ["PYTHONPATH"] = os.pathsep.join([str(SRC), str(TESTS)])
    os.environ["TIGHTROPE_TEST_CALL_LOG"] = str(log)
    os.environ["TIGHTROPE_TEST_DELAY"] = "0.2"
    ctx = ray.init(
        num_cpus=2,
        include_dashboard=False,
        _temp_dir=str(temp / "ray"),
        logging_level="ERROR",
        log_to_driver=False,
    )
    try:
        yield str(ctx.address_info["gcs_address"]), log
    finally:
        ray.shutdown()
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
        shutil.rmtree(temp, ignore_errors=True)


def _rows(db: Path) -> list[tuple[str, ...]]:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(
            "SELECT c.cell, r.attempt_id, r.ok, json_extract(r.data, '$.text'), "
            "json_extract(v.data, '$.label') FROM sweep_cells c JOIN responses r "
            "ON r.run_id=c.run_id LEFT JOIN verdicts v ON v.run_id=r.run_id "
            "AND v.attempt_id=r.attempt_id ORDER BY c.position, r.attempt_id"
        ).fetchall()
    finally:
        conn.close()


def _cells() -> list[Cell]:
    return [
        Cell(
            key=f"target={t} attack={a}",
            labels={"target": t, "attack": a},
            config=RunConfig(targets=(t,), attacks=(a,), judges=("refusal",), limit=6, cache="off"),
        )
        for t in ("python:fake_targets:rule", "python:fake_targets:flaky")
        for a in ("base64", "rot13")
    ]


def test_ray_sweep_equals_local_sweep(cluster: tuple[str, Path], tmp_path: Path) -> None:
    async def both() -> None:
        await run_sweep_async("s", _cells(), out=tmp_path / "local", definition={})
        pool = RayExecutor(workers=2)
        try:
            await run_sweep_async("s", _cells(), out=tmp_path / "ray", definition={}, executor=pool)
            assert len(pool.pids()) == 2
        finally:
            await pool.aclose()

    asyncio.run(asyncio.wait_for(both(), timeout=240))
    local = _rows(tmp_path / "local" / "tightrope.db")
    ray_rows = _rows(tmp_path / "ray" / "tightrope.db")
    assert len(local) == 4 * 2 * 6  # 4 cells, direct + the attack, 6 behaviors
    assert ray_rows == local
    assert any(ok == 0 for _, _, ok, _, _ in local)  # the flaky target's errors, kept as errors


def test_worker_killed_mid_shard_loses_and_duplicates_nothing(
    cluster: tuple[str, Path], tmp_path: Path
) -> None:
    _, log = cluster
    log.unlink(missing_ok=True)
    config = RunConfig(
        targets=("python:fake_targets:slow_logged_pid",),
        attacks=("base64",),
        judges=("refusal",),
        limit=24,
        target_settings={"concurrency": 4},
    )

    async def go() -> tuple[int, list[int]]:
        pool = RayExecutor(workers=2)
        killed: list[int] = []

        async def kill_one() -> None:
            # Kill a worker whose call is in flight (it logged the call, which takes 0.2 s).
            while not log.exists() or not log.read_text().split():
                await asyncio.sleep(0.02)
            pid = int(log.read_text().split()[1])
            os.kill(pid, signal.SIGKILL)
            killed.append(pid)

        try:
            killer = asyncio.create_task(kill_one())
            result = await run_async(config, out=tmp_path, executor=pool)
            await killer
            return result.errors, killed
        finally:
            await pool.aclose()

    errors, killed = asyncio.run(asyncio.wait_for(go(), timeout=240))
    assert errors == 0 and len(killed) == 1
    conn = sqlite3.connect(tmp_path / "tightrope.db")
    attempts, responses, ok, distinct, keys = conn.execute(
        "SELECT (SELECT COUNT(*) FROM attempts), (SELECT COUNT(*) FROM responses), "
        "(SELECT COUNT(*) FROM responses WHERE ok=1), "
        "(SELECT COUNT(DISTINCT attempt_id) FROM responses), (SELECT COUNT(*) FROM cache)"
    ).fetchone()
    verdicts = conn.execute("SELECT COUNT(*), COUNT(DISTINCT attempt_id) FROM verdicts").fetchone()
    conn.close()
    assert attempts == responses == ok == distinct == keys == 48
    assert verdicts == (48, 48)
    # The kill hit work in flight: some prompts were asked again (the retried shard), and the
    # store still holds each attempt once.
    calls = Counter(line.split()[0] for line in log.read_text().splitlines())
    assert len(calls) == 48
    assert max(calls.values()) >= 2
    pids = {line.split()[1] for line in log.read_text().splitlines()}
    assert str(killed[0]) in pids and len(pids) >= 3  # two workers and the restarted one


def test_driver_killed_sweep_resumes_on_ray(cluster: tuple[str, Path], tmp_path: Path) -> None:
    address, _ = cluster
    assert sys.executable
    kill_and_resume(tmp_path, "--executor", f"ray:{address}", "--workers", "2")
