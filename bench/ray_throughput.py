"""Throughput of the Ray executor against the local stub server, beside the bare SDK loop and the
local executor, in one invocation; and what Ray's start-up costs at small sizes.

    .venv/bin/python bench/ray_throughput.py [--prompts 2000] [--concurrency 64] [--workers 2]
                                             [--repeats 5] [--small 20 200] [--transport lean]

The server is `bench/openai_stub_server.py` in its own process on 127.0.0.1 (0 ms latency).
Contenders, in rotating order within each repeat (as in remote_throughput.py):
  * bare loop: `openai` SDK calls under an asyncio.Semaphore(concurrency) (the baseline);
  * local: `run_async` with the local executor (generate + refusal judge + SQLite + metrics),
    through the transport of --transport (lean, the default of openai-compatible:, or sdk);
  * ray: the same run with `RayExecutor(workers=N)`: shards of calls answered by N Ray actors,
    each with its own client (same transport) at `concurrency`; the pool is started once, before the timed
    runs (its start-up is measured apart).
Start-up: for each --small size, a cold Ray run (ray.init of a local cluster, N actors started,
the run, the cluster stopped) against a local run of the same size, median of --repeats.
Every run is checked against the server's request counter.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from _common import machine, print_table, ratio, summary
from openai_stub_server import StubServer
from remote_throughput import MODEL, loop_run, prompts_for, register_suite

from tightrope.run import RunConfig, run_async
from tightrope.run.executors.ray_pool import RayExecutor

_SUITES: dict[int, str] = {}


def suite_of(size: int) -> str:
    """Return the synthetic suite of `size` prompts, registered once."""
    if size not in _SUITES:
        _SUITES[size] = register_suite(size)
    return _SUITES[size]


TRANSPORT = "lean"  # set by --transport


def config_for(base_url: str, suite: str, concurrency: int) -> RunConfig:
    """Return the run every tightrope contender makes (the transport of --transport)."""
    return RunConfig(
        targets=(f"openai-compatible:{base_url}#{MODEL}",),
        suites=(suite,),
        judges=("refusal",),
        target_settings={"concurrency": concurrency, "transport": TRANSPORT},
    )


def tightrope_run(config: RunConfig, n: int, executor: RayExecutor | None) -> float:
    """Return samples/s of one whole run into a fresh store."""
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        res = asyncio.run(run_async(config, out=Path(out), executor=executor))
        elapsed = time.perf_counter() - start
    assert res.model_calls == n and res.errors == 0, (res.model_calls, res.errors)
    return n / elapsed


def cold_ray_run(config: RunConfig, n: int, workers: int) -> float:
    """Return the seconds of a run on a Ray cluster started (and stopped) for it."""

    async def go() -> None:
        pool = RayExecutor(workers=workers)
        try:
            with tempfile.TemporaryDirectory() as out:
                res = await run_async(config, out=Path(out), executor=pool)
            assert res.model_calls == n and res.errors == 0
        finally:
            await pool.aclose()

    start = time.perf_counter()
    asyncio.run(go())
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--small", type=int, nargs="*", default=[20, 200])
    ap.add_argument(
        "--transport",
        choices=["lean", "sdk"],
        default="lean",
        help="transport of the tightrope contenders (lean: the default of openai-compatible:)",
    )
    args = ap.parse_args()
    global TRANSPORT
    TRANSPORT = args.transport
    n, conc = args.prompts, args.concurrency
    suite = suite_of(n)
    prompts = prompts_for(n)
    rows: list[list[object]] = []
    startup_rows: list[list[object]] = []
    with StubServer(latency=0.0) as srv:
        url = srv.base_url
        config = config_for(url, suite, conc)
        # Cold start-up at small sizes: a fresh local cluster per run, against the local executor.
        for size in args.small:
            small = config_for(url, suite_of(size), conc)
            cold: list[float] = []
            local: list[float] = []
            for _ in range(args.repeats):
                cold.append(cold_ray_run(small, size, args.workers))
                local.append(size / tightrope_run(small, size, None))
                gc.collect()
            startup_rows.append([size, summary(local, ".2f"), summary(cold, ".2f")])
            print(f"done: start-up at {size} prompts", flush=True)
        pool = RayExecutor(workers=args.workers)
        start = time.perf_counter()
        tightrope_run(config_for(url, suite_of(20), 8), 20, pool)  # starts the pool
        pool_start = time.perf_counter() - start
        loop_run("sdk-loop", url, prompts_for(20), 8)
        tightrope_run(config_for(url, suite_of(20), 8), 20, None)
        contenders: dict[str, Callable[[], float]] = {
            "bare": partial(loop_run, "sdk-loop", url, prompts, conc),
            "local": partial(tightrope_run, config, n, None),
            "ray": partial(tightrope_run, config, n, pool),
        }
        rates: dict[str, list[float]] = {k: [] for k in contenders}
        names = list(contenders)
        for rep in range(args.repeats):
            for name in names[rep % len(names) :] + names[: rep % len(names)]:
                before = srv.requests()
                rates[name].append(contenders[name]())
                served = srv.requests() - before
                assert served == n, f"{name}: server answered {served} of {n} requests"
                gc.collect()
        asyncio.run(pool.aclose())
        rows.append(
            [
                conc,
                summary(rates["bare"]),
                summary(rates["local"]),
                summary(rates["ray"]),
                ratio(rates["local"], rates["bare"]),
                ratio(rates["ray"], rates["bare"]),
            ]
        )
    print_table(
        f"Throughput, samples/s: {n} prompts, 0 ms stub server, refusal judge, "
        f"{args.transport} transport, ray with "
        f"{args.workers} workers (each client at the concurrency), median of {args.repeats} "
        f"alternating runs (min-max); {machine()}",
        ["concurrency", "bare loop", "local", "ray", "local / bare", "ray / bare"],
        rows,
    )
    print_table(
        f"Start-up, seconds per whole run: a cold Ray run starts a local cluster and "
        f"{args.workers} workers, then stops them (median of {args.repeats}); the warm pool of "
        f"the table above took {pool_start:.2f} s to start with its first 20-prompt run",
        ["prompts", "local", "ray (cold)"],
        startup_rows,
    )


if __name__ == "__main__":
    main()
