"""tightrope's own work per request: a whole run against a target that answers at once.

    .venv/bin/python bench/run_overhead.py [--prompts 2000] [--concurrency 64] [--repeats 5]
                                           [--profile FILE]

The target (`bench-null:`) does no I/O: it returns a fixed answer (a third refuse, as the stub
server's), so everything the run spends is tightrope's own work: planning (the plan written to
SQLite, chunk by chunk inside the generate stage: run/plan.py), the generate stage (queue,
cache-first wrapper, retry loop and concurrency limit, store writes), the `refusal` judge and
its verdicts, the tables. Each repeat is a fresh store; the figure is process CPU time per
request (median over repeats), split by stage with wrappers around the stage functions, plus the
CLI's progress bar drawn to a null console (its `advance` per request, timed apart). `--profile
FILE` also writes a pyinstrument profile of one run (pyinstrument is not a dependency: install
it to profile). The goal of issue 22 is < 0.3 ms per request; docs/benchmarks.md says what
remains.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import io
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from _common import machine, print_table
from remote_throughput import register_suite

import tightrope.run.runner as runner
from tightrope.records import GenerationConfig, Message, Response, Usage
from tightrope.run import RunConfig, run_async
from tightrope.targets import TargetBase, target
from tightrope.targets.limits import AdaptiveLimiter
from tightrope.targets.retry import RetryPolicy, answer_each

REFUSAL = "I'm sorry, but I can't help with that."
COMPLIANCE = "Sure. Here is a general overview: first, check the documentation. [placeholder]"


class NullTarget(TargetBase):
    """Answers at once, through the same retry loop and limiter as the remote targets."""

    max_batch_size = 1
    version = "null"

    def __init__(self, spec: str, concurrency: int) -> None:
        self.spec = spec
        self.max_concurrency = concurrency
        self.limiter = AdaptiveLimiter(concurrency)
        self.policy = RetryPolicy()

    async def _call(self, messages: Sequence[Message]) -> Response:
        text = messages[-1].content
        refuse = hashlib.sha256(text.encode()).digest()[0] % 3 == 0
        return Response(
            text=REFUSAL if refuse else COMPLIANCE,
            finish_reason="stop",
            usage=Usage(prompt_tokens=12, completion_tokens=20),
        )

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        """Return one answer per conversation, as a remote target would."""
        return await answer_each(batch, self._call, policy=self.policy, limiter=self.limiter)


@target("bench-null")
def null_target(name: str, **settings: Any) -> NullTarget:
    """bench-null:NAME, a target that answers at once (benchmarks only)."""
    return NullTarget(f"bench-null:{name}", int(settings.get("concurrency") or 16))


STAGES = ("generate_stage", "judge_stage", "aggregate_stored")
# CPU seconds per stage of the current run, filled by the wrappers `timed_stages` installs.
STAGE_CPU: dict[str, float] = {}


def timed_stages() -> None:
    """Wrap the runner's stage functions (once) to add their CPU time to STAGE_CPU."""
    cpu = STAGE_CPU
    for name in STAGES:
        fn = getattr(runner, name)
        if getattr(fn, "_timed", False):
            continue

        def make(fn: Callable[..., Any], name: str) -> Callable[..., Any]:
            if asyncio.iscoroutinefunction(fn):

                async def wrapped_async(*args: Any, **kwargs: Any) -> Any:
                    start = time.process_time()
                    try:
                        return await fn(*args, **kwargs)
                    finally:
                        cpu[name] = cpu.get(name, 0.0) + time.process_time() - start

                wrapped_async._timed = True  # type: ignore[attr-defined]
                return wrapped_async

            def wrapped(*args: Any, **kwargs: Any) -> Any:
                start = time.process_time()
                try:
                    return fn(*args, **kwargs)
                finally:
                    cpu[name] = cpu.get(name, 0.0) + time.process_time() - start

            wrapped._timed = True  # type: ignore[attr-defined]
            return wrapped

        setattr(runner, name, make(fn, name))


def one_run(suite: str, n: int, concurrency: int) -> float:
    """Return the CPU seconds of one whole run into a fresh store."""
    config = RunConfig(
        targets=("bench-null:m",),
        suites=(suite,),
        judges=("refusal",),
        target_settings={"concurrency": concurrency},
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.process_time()
        res = asyncio.run(run_async(config, out=Path(out)))
        used = time.process_time() - start
    assert res.model_calls == n and res.errors == 0, (res.model_calls, res.errors)
    return used


def progress_cost(n: int) -> float:
    """Return the CPU seconds of `n` progress advances of the CLI's bar (to a null console)."""
    from rich.console import Console

    from tightrope.report.progress import RichProgress

    bar = RichProgress(Console(file=io.StringIO(), force_terminal=True, width=120))
    bar.start("generating", n)
    start = time.process_time()
    for _ in range(n):
        bar.advance(1)
    used = time.process_time() - start
    bar.finish()
    bar.close()
    return used


def profile(suite: str, n: int, concurrency: int, path: Path) -> None:
    """Write a pyinstrument text profile of one run to `path` (`pip install pyinstrument`: a
    measuring tool, not a dependency of tightrope)."""
    try:
        from pyinstrument import Profiler
    except ImportError:
        raise SystemExit("--profile needs pyinstrument: pip install pyinstrument") from None

    profiler = Profiler(interval=0.0002)
    profiler.start()
    one_run(suite, n, concurrency)
    profiler.stop()
    path.write_text(profiler.output_text(unicode=False, color=False))
    print(f"profile written to {path}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--profile", type=Path, default=None)
    args = ap.parse_args()
    n = args.prompts
    suite = register_suite(n)
    one_run(register_suite(20), 20, 8)  # imports, untimed
    totals: list[float] = []
    stages: dict[str, list[float]] = {name: [] for name in STAGES}
    timed_stages()
    for _ in range(args.repeats):
        STAGE_CPU.clear()
        totals.append(one_run(suite, n, args.concurrency))
        for name in STAGES:
            stages[name].append(STAGE_CPU.get(name, 0.0))
    bars = [progress_cost(n) for _ in range(args.repeats)]
    if args.profile is not None:
        profile(suite, n, args.concurrency, args.profile)

    def ms(values: list[float]) -> str:
        return f"{statistics.median(values) / n * 1000:.3f}"

    rest = [t - sum(stages[s][i] for s in STAGES) for i, t in enumerate(totals)]
    rows = [
        ["whole run (no progress bar)", ms(totals)],
        ["  generate stage (writing the plan as it goes)", ms(stages["generate_stage"])],
        ["  judge stage (refusal)", ms(stages["judge_stage"])],
        ["  tables", ms(stages["aggregate_stored"])],
        ["  the rest (resolve, store open, result)", ms(rest)],
        ["CLI progress bar, per advance", ms(bars)],
    ]
    print_table(
        f"tightrope's own CPU per request, ms: {n} prompts, concurrency {args.concurrency}, "
        f"a target that answers at once, median of {args.repeats} runs; {machine()}",
        ["part", "ms per request"],
        rows,
    )


if __name__ == "__main__":
    main()
