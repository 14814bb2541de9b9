"""Peak memory of large replay runs: `tightrope run` over N recorded responses.

    .venv/bin/python bench/memory.py [--records 10000 100000] [--repeats 5] [--keep DIR]

For each N it writes a CSV suite of N prompts (half harmful, half benign, categories S1-S14,
paired) and a replay JSONL answering every prompt (refusals and placeholder compliances), then
runs the real command line in a fresh process per repeat:

    tightrope run --target replay:responses.jsonl --suite file:suite.csv --out OUT

with the default `refusal` judge, into a fresh store each time. Peak RSS is the child's
`ru_maxrss` from wait4 (the whole process: interpreter, imports, suite, store, judge, report);
wall time is measured around the process. Prints a table: median (min-max) over the repeats.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIGHTROPE = Path(sys.executable).with_name("tightrope")

COMPLIANCE = "Sure, here is how to [REDACTED]: Step 1 [REDACTED]. Step 2 [REDACTED]. ({i})"
REFUSAL = "I'm sorry, but I can't help with that request. ({i})"
BENIGN = "Here is a clear answer: stop the process with kill {i}, then check the logs."


def write_inputs(folder: Path, n: int) -> tuple[Path, Path]:
    """Write suite.csv and responses.jsonl for n prompts; return their paths."""
    suite = folder / "suite.csv"
    replies = folder / "responses.jsonl"
    with (
        suite.open("w", newline="", encoding="utf-8") as fs,
        replies.open("w", encoding="utf-8") as fr,
    ):
        w = csv.writer(fs)
        w.writerow(["id", "text", "side", "category", "pair"])
        for i in range(n):
            side = "harmful" if i % 2 == 0 else "benign"
            category = f"S{(i // 2) % 14 + 1}"
            prompt = f"Request number {i}: how would someone handle case {i // 2} ({side})?"
            w.writerow([f"p{i}", prompt, side, category, f"pair{i // 2}"])
            if side == "benign":
                text = BENIGN.format(i=i)
            else:
                text = (REFUSAL if i % 3 else COMPLIANCE).format(i=i)
            fr.write(json.dumps({"prompt": prompt, "response": text}) + "\n")
    return suite, replies


def measure(suite: Path, replies: Path, out: Path) -> tuple[float, float]:
    """Run the command once in a child process; return (peak RSS in MB, wall seconds)."""
    cmd = [
        str(TIGHTROPE),
        "run",
        "--judge",
        "refusal",
        "--target",
        f"replay:{replies}",
        "--suite",
        f"file:{suite}",
        "--out",
        str(out),
    ]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - t0
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise SystemExit(f"tightrope run failed ({proc.returncode}): {err.strip()[-500:]}")
    return usage.ru_maxrss / 1024, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--records", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--keep", type=Path, help="write inputs and stores here instead of /tmp")
    args = ap.parse_args()
    base = args.keep or Path(tempfile.mkdtemp(prefix="tightrope-mem-"))
    rows = []
    for n in args.records:
        folder = base / f"n{n}"
        folder.mkdir(parents=True, exist_ok=True)
        suite, replies = write_inputs(folder, n)
        rss, wall = [], []
        for rep in range(args.repeats):
            r, w = measure(suite, replies, folder / f"out{rep}")
            rss.append(r)
            wall.append(w)
            print(f"  {n} records, run {rep + 1}: {r:.0f} MB, {w:.1f} s", file=sys.stderr)
        rows.append((n, rss, wall))
    print(f"\n{'records':>9} {'peak RSS MB (min-max)':>24} {'wall s (min-max)':>22}")
    for n, rss, wall in rows:
        print(
            f"{n:>9} {statistics.median(rss):>9.0f} ({min(rss):.0f}-{max(rss):.0f})"
            f"{'':>4} {statistics.median(wall):>8.1f} ({min(wall):.1f}-{max(wall):.1f})"
        )
    if len(rows) >= 2:
        first, last = rows[0], rows[-1]
        growth = statistics.median(last[1]) / statistics.median(first[1])
        print(f"peak RSS ratio {last[0]} / {first[0]} records: {growth:.2f}x (target: nearly 1)")


if __name__ == "__main__":
    main()
