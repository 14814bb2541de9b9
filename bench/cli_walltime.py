"""Wall time of `tightrope --help` and of a full default run on an installed environment.

    .venv/bin/python bench/cli_walltime.py [--help-repeats 7] [--run-repeats 1]

`tightrope --help` must stay under 0.5 s (it imports no torch); the default run (`make run`
without the install step: embedded model, starter suite, 150 new tokens) under 5 minutes on
2 cores. Each default run uses a fresh store, so nothing comes from the response cache; the
converted model checkpoint is cached, as it is after a user's first run.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIGHTROPE = [sys.executable, "-m", "tightrope"]


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--help-repeats", type=int, default=7)
    ap.add_argument("--run-repeats", type=int, default=1)
    args = ap.parse_args()
    exe = shutil.which("tightrope") or str(Path(sys.executable).with_name("tightrope"))
    work = Path(tempfile.mkdtemp(prefix="tightrope-bench-"))
    helps = [_time([exe, "--help"], work) for _ in range(args.help_repeats)]
    print(
        f"tightrope --help: median {statistics.median(helps):.3f} s over {len(helps)} runs "
        f"(min {min(helps):.3f}, max {max(helps):.3f})"
    )
    runs = []
    for i in range(args.run_repeats):
        runs.append(_time([exe, "run", "--out", str(work / f"run{i}")], work))
        print(f"default run {i + 1}: {runs[-1]:.1f} s")
    if runs:
        print(f"default run: median {statistics.median(runs):.1f} s over {len(runs)} runs")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
