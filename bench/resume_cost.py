"""Cost of rerunning a finished run: model calls (must be zero) and wall time of the rerun.

    .venv/bin/python bench/resume_cost.py [--prompts 2000] [--repeats 5] [--concurrency 64]

Measured the way a user meets it, with the command line in a subprocess: a suite file of
`--prompts` harmless prompts, an `openai-compatible:` target on the stub server
(`bench/openai_stub_server.py`, its own process on 127.0.0.1) and the `refusal` judge. The first
`tightrope run ... --out DIR` does the work (its wall time is shown for scale); then the very same
command is run `--repeats` more times into the same DIR. For each rerun the script records the
wall time from process start to exit (interpreter start-up, imports, planning, the response
cache lookups, metrics and the printed table included) and the number of chat completions the
server answered meanwhile. Exits 1 if any rerun made a model call.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, print_table, summary
from openai_stub_server import StubServer

MODEL = "bench-model"


def write_suite(path: Path, n: int) -> Path:
    """Write a JSONL suite of n harmless prompts (benign side)."""
    rows = (
        {
            "id": f"b{i}",
            "text": f"Benchmark request {i}: how do I kill a stuck process number {i}?",
            "side": "benign",
            "category": "S14",
        }
        for i in range(n)
    )
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def timed(cmd: list[str], cwd: Path) -> float:
    """Run `cmd` to completion (it must exit 0) and return its wall time in seconds."""
    start = time.perf_counter()
    proc = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--concurrency", type=int, default=64)
    args = ap.parse_args()
    exe = str(Path(sys.executable).with_name("tightrope"))
    os.environ.setdefault("OPENAI_API_KEY", "x")
    with tempfile.TemporaryDirectory() as tmp, StubServer() as srv:
        work = Path(tmp)
        suite = write_suite(work / "suite.jsonl", args.prompts)
        cmd = [
            exe,
            "run",
            "--target",
            f"openai-compatible:{srv.base_url}#{MODEL}",
            "--suite",
            f"file:{suite}",
            "--judge",
            "refusal",
            "--concurrency",
            str(args.concurrency),
            "--out",
            str(work / "out"),
        ]
        first = timed(cmd, work)
        first_calls = srv.requests()
        if first_calls != args.prompts:
            raise SystemExit(f"first run made {first_calls} calls, expected {args.prompts}")
        walls: list[float] = []
        calls: list[int] = []
        for _ in range(args.repeats):
            before = srv.requests()
            walls.append(timed(cmd, work))
            calls.append(srv.requests() - before)
    print_table(
        f"Rerun of a finished {args.prompts}-prompt run (CLI subprocess, same --out), "
        f"{args.repeats} reruns; {machine()}",
        ["what", "wall time, s: median (min-max)", "model calls"],
        [
            ["first run (does the work)", f"{first:.2f} (one run)", first_calls],
            ["rerun", summary(walls, ".2f"), " ".join(str(c) for c in calls)],
        ],
    )
    if any(calls):
        print(f"FAIL: reruns made model calls: {calls}")
        sys.exit(1)


if __name__ == "__main__":
    main()
