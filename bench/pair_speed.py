"""PAIR target queries per second against scripted local servers (attacker, target, judge).

    .venv/bin/python bench/pair_speed.py [--behaviors 20] [--streams 5] [--iterations 3]
                                         [--latency 0 0.05] [--repeats 3]

Each repeat is a whole `run_async` into a fresh store (all repeats in one event loop): the direct baseline, then PAIR on every
behavior (the target never complies, so every stream runs every iteration: behaviors x streams
x iterations target queries, each with one attacker and one judge call), then the refusal
judge. Prints PAIR target queries per second of wall time and all model calls per second
(median over repeats, min-max), and checks the budget was spent exactly.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "attacks")]

from loop_servers import LoopServers, Script, write_suite  # noqa: E402

from tightrope.runner import RunConfig, run_async  # noqa: E402


async def one_run(
    srv: LoopServers, suite: Path, streams: int, iterations: int
) -> tuple[float, float]:
    """Return (PAIR target queries/s, model calls/s) of one run into a fresh store."""
    config = RunConfig(
        targets=(srv.target_spec,),
        suites=(f"file:{suite}",),
        attacks=(f"pair:streams={streams},iterations={iterations},judge={srv.judge_spec}",),
        attacker_model=srv.attacker_spec,
        target_settings={"concurrency": 64},
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        res = await run_async(config, out=Path(out))
        elapsed = time.perf_counter() - start
    # Close the run's HTTP clients now: collected later, during another run, their sockets
    # were seen to stall a request until its timeout (120 s).
    gc.collect()
    await asyncio.sleep(0.1)
    queries = sum(1 for r in res.records if r.attempt.attack.startswith("pair"))
    harmful = len({r.behavior.id for r in res.records if r.behavior.side == "harmful"})
    assert queries == harmful * streams * iterations and res.errors == 0, (queries, res.errors)
    return queries / elapsed, res.model_calls / elapsed


async def measure(args: argparse.Namespace, suite: Path) -> None:
    """Run every latency and repeat in one event loop (HTTP clients close on the loop that
    opened them) and print one line per latency."""
    for latency in args.latency:
        with LoopServers(Script(), latency=latency) as srv:
            runs = [
                await one_run(srv, suite, args.streams, args.iterations)
                for _ in range(args.repeats)
            ]
        q = [r[0] for r in runs]
        c = statistics.median(r[1] for r in runs)
        print(
            f"{latency * 1000:6.0f}ms {statistics.median(q):10.1f} "
            f"({min(q):6.1f}-{max(q):6.1f}) {c:9.1f}",
            flush=True,
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--behaviors", type=int, default=20)
    ap.add_argument("--streams", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05])
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    print(
        f"{args.behaviors} behaviors x {args.streams} streams x {args.iterations} iterations, "
        f"{args.repeats} repeats"
    )
    print(f"{'latency':>8} {'queries/s':>10} {'(min-max)':>17} {'calls/s':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        suite = write_suite(Path(tmp) / "suite.jsonl", args.behaviors)
        asyncio.run(measure(args, suite))


if __name__ == "__main__":
    main()
