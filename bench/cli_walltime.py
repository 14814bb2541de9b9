"""Start-up of the command line: `tightrope --help`, and time to the first generated token of
`tightrope run` on the embedded model with a warm model cache (optionally a whole default run).

    .venv/bin/python bench/cli_walltime.py [--help-repeats 7] [--token-repeats 5]
                                           [--run-repeats 0]

Every figure is wall time of a fresh process, measured by this script from just before it starts
the process (so interpreter start-up and imports count):

  * `tightrope --help`: start to exit (target < 0.5 s).
  * first token, one prompt: `tightrope run --limit 1 --max-tokens 1 --out NEW` (the first
    starter prompt, one new token): start to the moment the model emits its first token, and
    start to exit (the exit adds the judge, the store, the metrics and the printed table).
  * first token, default run: `tightrope run --out NEW` (embedded:smollm2, the starter suite,
    batch 48): start to the first token of the first batch (its prefill included); the process
    is stopped right there, so the rest of the 3-minute run is not waited for.

The first token is noted by `bench/_first_token_probe.py`, which runs the same command line
in-process with a streamer passed to transformers' `generate` (no tightrope code changes). Each
run writes to a new, empty store, so the response cache answers nothing; the converted model
checkpoint is cached (one untimed run first makes sure of it, and warms the OS file cache).
With --run-repeats N, the whole default run (148 prompts, 150 new tokens) is also timed N times
(target < 5 min).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, print_table, summary

PROBE = str(Path(__file__).resolve().with_name("_first_token_probe.py"))


def _time(cmd: list[str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def first_token(args: list[str], cwd: Path, *, exit_at_first: bool) -> tuple[float, float]:
    """Run `tightrope ARGS` under the probe; return (start to first token, start to exit)."""
    stamp = cwd / f"stamp-{time.monotonic_ns()}"
    cmd = [sys.executable, PROBE, str(stamp)]
    if exit_at_first:
        cmd.append("--exit-at-first-token")
    start = time.monotonic()
    proc = subprocess.run([*cmd, "--", *args], cwd=cwd, capture_output=True, text=True)
    end = time.monotonic()
    if proc.returncode != 0 or not stamp.exists():
        raise SystemExit(f"probe run failed ({proc.returncode}):\n{proc.stderr[-2000:]}")
    first = float(stamp.read_text(encoding="utf-8")) - start
    stamp.unlink()
    return first, end - start


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--help-repeats", type=int, default=7)
    ap.add_argument("--token-repeats", type=int, default=5)
    ap.add_argument("--run-repeats", type=int, default=0)
    args = ap.parse_args()
    exe = shutil.which("tightrope") or str(Path(sys.executable).with_name("tightrope"))
    work = Path(tempfile.mkdtemp(prefix="tightrope-bench-"))
    rows: list[list[object]] = []
    try:
        helps = [_time([exe, "--help"], work) for _ in range(args.help_repeats)]
        rows.append(["`tightrope --help`, start to exit", summary(helps, ".3f"), "< 0.5 s"])
        if args.token_repeats:
            one = ["run", "--limit", "1", "--max-tokens", "1"]
            first_token([*one, "--out", str(work / "warm")], work, exit_at_first=False)
            one_first: list[float] = []
            one_exit: list[float] = []
            default_first: list[float] = []
            for i in range(args.token_repeats):
                f, e = first_token(
                    [*one, "--out", str(work / f"one{i}")], work, exit_at_first=False
                )
                one_first.append(f)
                one_exit.append(e)
                f, _ = first_token(
                    ["run", "--out", str(work / f"def{i}")], work, exit_at_first=True
                )
                default_first.append(f)
            rows += [
                [
                    "`run --limit 1 --max-tokens 1`, start to first token",
                    summary(one_first, ".2f"),
                    "",
                ],
                ["`run --limit 1 --max-tokens 1`, start to exit", summary(one_exit, ".2f"), ""],
                [
                    "`run` (default), start to first token of the first batch",
                    summary(default_first, ".2f"),
                    "",
                ],
            ]
        runs = [
            _time([exe, "run", "--out", str(work / f"run{i}")], work)
            for i in range(args.run_repeats)
        ]
        if runs:
            rows.append(["`run` (default), start to exit", summary(runs, ".1f"), "< 5 min"])
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print_table(
        f"Command line start-up, seconds: median (min-max); {args.help_repeats} runs of --help, "
        f"{args.token_repeats} of each first-token run, warm model cache, fresh store; {machine()}",
        ["what", "seconds", "target"],
        rows,
    )


if __name__ == "__main__":
    main()
