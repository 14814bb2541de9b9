"""Run every benchmark, one after another, and print each one's table and the total time.

    .venv/bin/python bench/run_all.py [--full] [--only NAME ...] [--skip NAME ...] [--dry-run]

`make bench` runs this without options: sizes chosen so the whole suite takes under 15 minutes on
the project's 2-core box, every figure still the median of at least 5 runs. Where that forced a
size below the one issue 8 names, `--full` runs the issue's exact sizes instead (much longer: the
Inspect AI runs alone take about half an hour). The differences (default -> full):

  * remote_throughput (every arm: aiohttp loop, http1 loop, SDK loop, tightrope over the sdk
    and lean transports, Inspect AI): 500 prompts -> 2,000; Inspect AI at concurrency 64 and
    0 ms latency only -> at every concurrency and latency;
  * ray_throughput: 500 prompts and a cold start at 20 -> 2,000 prompts, cold starts at 20 and
    200 (each cold Ray run starts and stops a local cluster: about 13 s on 2 cores);
  * judge_throughput: refusal-clf and harm-clf on 200 responses -> 100,000 (the other judges:
    100,000);
  * judge_stages: the learned judges' stages on 200 responses -> 2,000, with the int8 check;
  * cli_walltime: adds 5 whole default runs (about 3 minutes each);
  * embedded_throughput, gcg_speed, pair_speed: smaller workloads -> those of docs/benchmarks.md;
  * stats_speed: 5,000 prompts -> 20,000 and 100,000 (the replaced pure-Python statistics, timed
    once per size, take minutes at those sizes).

Each benchmark runs in its own process with this interpreter; its output is passed through as it
comes. A benchmark whose script is missing (bench/memory.py is written separately) is reported
as missing, not run; a failing one is reported and the others still run. Exits 1 if any failed
or was missing.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from _common import machine, print_table

BENCH = Path(__file__).resolve().parent


@dataclass(frozen=True)
class Bench:
    """One benchmark script and its arguments for `make bench` (quick) and for --full."""

    name: str
    quick: tuple[str, ...]
    full: tuple[str, ...]

    @property
    def script(self) -> Path:
        return BENCH / f"{self.name}.py"


BENCHMARKS = (
    Bench(
        "remote_throughput",
        (
            "--prompts", "500", "--concurrency", "64", "256", "--latency", "0", "0.05",
            "--repeats", "5", "--inspect-concurrency", "64", "--inspect-latency", "0",
        ),
        ("--prompts", "2000", "--concurrency", "64", "256", "--latency", "0", "0.05",
         "--repeats", "5"),
    ),
    Bench(
        "ray_throughput",
        ("--prompts", "500", "--concurrency", "64", "--workers", "2", "--repeats", "5",
         "--small", "20"),
        ("--prompts", "2000", "--concurrency", "64", "--workers", "2", "--repeats", "5",
         "--small", "20", "200"),
    ),
    Bench(
        "run_overhead",
        ("--prompts", "2000", "--repeats", "5"),
        ("--prompts", "2000", "--repeats", "5"),
    ),
    Bench(
        "resume_cost",
        ("--prompts", "2000", "--repeats", "5"),
        ("--prompts", "2000", "--repeats", "5"),
    ),
    Bench(
        "memory",
        ("--records", "10000", "100000", "--repeats", "5"),
        ("--records", "10000", "100000", "--repeats", "5"),
    ),
    Bench(
        "cli_walltime",
        ("--help-repeats", "7", "--token-repeats", "5"),
        ("--help-repeats", "7", "--token-repeats", "5", "--run-repeats", "5"),
    ),
    Bench(
        "judge_throughput",
        ("--responses", "100000", "--clf-responses", "200", "--repeats", "5"),
        ("--responses", "100000", "--clf-responses", "100000", "--repeats", "5"),
    ),
    Bench(
        "judge_stages",
        ("--responses", "200", "--repeats", "5"),
        ("--responses", "2000", "--repeats", "5", "--int8"),
    ),
    Bench(
        "embedded_throughput",
        ("--prompts", "8", "--tokens", "16", "--repeats", "5"),
        ("--prompts", "16", "--tokens", "64", "--repeats", "5"),
    ),
    Bench(
        "gcg_speed",
        ("--steps", "3", "--batch", "16", "--repeats", "5"),
        ("--steps", "5", "--batch", "16", "32", "--repeats", "5"),
    ),
    Bench(
        "stats_speed",
        ("--prompts", "5000", "--repeats", "5", "--old-repeats", "1"),
        ("--prompts", "20000", "100000", "--repeats", "5", "--old-repeats", "1"),
    ),
    Bench(
        "pair_speed",
        ("--behaviors", "10", "--latency", "0", "0.05", "--repeats", "5"),
        ("--behaviors", "20", "--latency", "0", "0.05", "--repeats", "5"),
    ),
)  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    names = [b.name for b in BENCHMARKS]
    ap.add_argument("--full", action="store_true", help="issue 8's exact sizes (long)")
    ap.add_argument("--only", nargs="+", choices=names, default=None)
    ap.add_argument("--skip", nargs="+", choices=names, default=[])
    ap.add_argument("--dry-run", action="store_true", help="print the commands, run nothing")
    args = ap.parse_args()
    chosen = [b for b in BENCHMARKS if (args.only is None or b.name in args.only)]
    chosen = [b for b in chosen if b.name not in args.skip]
    print(f"machine: {machine()}; {'full' if args.full else 'make bench'} sizes", flush=True)
    rows: list[list[object]] = []
    failed = False
    start_all = time.perf_counter()
    for b in chosen:
        cmd = [sys.executable, str(b.script), *(b.full if args.full else b.quick)]
        shown = " ".join(["bench/" + b.script.name, *cmd[2:]])
        if args.dry_run:
            print(shown)
            continue
        if not b.script.is_file():
            print(f"\n=== {b.name}: MISSING ({b.script} does not exist)", flush=True)
            rows.append([b.name, "-", "missing", f"`{shown}`"])
            failed = True
            continue
        print(f"\n=== {b.name}: {shown}", flush=True)
        start = time.perf_counter()
        rc = subprocess.run(cmd, cwd=BENCH.parent).returncode
        elapsed = time.perf_counter() - start
        status = "ok" if rc == 0 else f"FAILED (exit {rc})"
        failed = failed or rc != 0
        rows.append([b.name, f"{elapsed:.0f}", status, f"`{shown}`"])
    if args.dry_run:
        return
    total = time.perf_counter() - start_all
    print_table(
        f"All benchmarks: {total:.0f} s in total ({total / 60:.1f} min); {machine()}",
        ["benchmark", "seconds", "status", "command"],
        rows,
    )
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
