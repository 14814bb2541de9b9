"""PAIR target queries per second against scripted local servers (attacker, target, judge).

    .venv/bin/python bench/pair_speed.py [--behaviors 20] [--streams 5] [--iterations 3]
                                         [--latency 0 0.05] [--repeats 5]

Each repeat is a whole `run_async` into a fresh store (all repeats in one event loop): the direct
baseline, then PAIR on every behavior (the target never complies, so every stream runs every iteration: behaviors x streams
x iterations target queries, each with one attacker and one judge call), then the refusal
judge. Prints a table of PAIR target queries per second of wall time and all model calls per second
(median over repeats, min-max), and checks the budget was spent exactly.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT / "tests" / "attacks")]

from _common import machine, print_table, summary  # noqa: E402
from loop_servers import LoopServers, Script, write_suite  # noqa: E402

from tightrope.run import RunConfig, run_async  # noqa: E402


async def one_run(
    srv: LoopServers, suite: Path, streams: int, iterations: int
) -> tuple[float, float]:
    """Return (PAIR target queries/s, model calls/s) of one run into a fresh store."""
    config = RunConfig(
        judges=("refusal",),
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
        # The records are read from the store on first use: count them before it goes.
        records = res.records
    # Close the run's HTTP clients now: collected later, during another run, their sockets
    # were seen to stall a request until its timeout (120 s).
    gc.collect()
    await asyncio.sleep(0.1)
    queries = sum(1 for r in records if r.attempt.attack.startswith("pair"))
    harmful = len({r.behavior.id for r in records if r.behavior.side == "harmful"})
    assert queries == harmful * streams * iterations and res.errors == 0, (queries, res.errors)
    return queries / elapsed, res.model_calls / elapsed


async def measure(args: argparse.Namespace, suite: Path) -> list[list[object]]:
    """Run every latency and repeat in one event loop (HTTP clients close on the loop that
    opened them); return one table row per latency."""
    rows: list[list[object]] = []
    for latency in args.latency:
        with LoopServers(Script(), latency=latency) as srv:
            runs = [
                await one_run(srv, suite, args.streams, args.iterations)
                for _ in range(args.repeats)
            ]
        rows.append(
            [
                f"{latency * 1000:.0f} ms",
                summary([r[0] for r in runs]),
                summary([r[1] for r in runs]),
            ]
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--behaviors", type=int, default=20)
    ap.add_argument("--streams", type=int, default=5)
    ap.add_argument("--iterations", type=int, default=3)
    ap.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05])
    ap.add_argument("--repeats", type=int, default=5)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        suite = write_suite(Path(tmp) / "suite.jsonl", args.behaviors)
        rows = asyncio.run(measure(args, suite))
    print_table(
        f"PAIR: {args.behaviors} behaviors x {args.streams} streams x {args.iterations} "
        f"iterations, median of {args.repeats} runs (min-max); {machine()}",
        ["server latency", "PAIR target queries/s", "all model calls/s"],
        rows,
    )


if __name__ == "__main__":
    main()
