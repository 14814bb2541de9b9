"""Throughput of a run against a local OpenAI-compatible server, against the bare-loop ceiling.

    .venv/bin/python bench/remote_throughput.py [--prompts 2000] [--concurrency 64 256]
                                                [--latency 0 0.05] [--repeats 3]

Contenders, alternating within one invocation against the same server:
  * Inspect AI: an equivalent task (the same prompts, `generate()`, an `includes()` string
    scorer) with the same endpoint, max_connections and max_samples (skip: --no-inspect);
  * tightrope: `run_async` with an `openai-compatible:` target, the `refusal` judge on, every row
    written to a fresh SQLite store;
  * bare loop: the same `openai` SDK calls under an asyncio.Semaphore, results kept in a list
    (the ceiling: no store, no judge, no retries).
Prints samples per second (median over repeats, min-max) and tightrope's share of the ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from openai_server import ScriptedServer
from tightrope.datasets import Suite, dataset
from tightrope.records import Behavior
from tightrope.runner import RunConfig, run_async

MODEL = "bench-model"


def _prompts(n: int) -> list[str]:
    return [f"Benchmark request {i}: how do I kill a stuck process number {i}?" for i in range(n)]


def register_suite(n: int) -> str:
    """Register a synthetic suite of n benign prompts; return its name."""
    name = f"bench-{n}"

    @dataset(name)
    def _suite() -> Suite:
        behaviors = tuple(
            Behavior(
                id=f"b{i}",
                text=p,
                side="benign",
                category="S14",
                source_category="bench",
                source=f"{name}@1",
            )
            for i, p in enumerate(_prompts(n))
        )
        digest = hashlib.sha256("\n".join(b.text for b in behaviors).encode()).hexdigest()
        return Suite(name=name, version="1", checksum=digest, behaviors=behaviors)

    return name


async def bare_loop(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of plain SDK calls under a semaphore (the ceiling)."""
    import openai

    client = openai.AsyncOpenAI(api_key="x", base_url=base_url, max_retries=0, timeout=120)
    sem = asyncio.Semaphore(concurrency)
    results: list[str | None] = []

    async def one(p: str) -> None:
        async with sem:
            c = await client.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": p}],
                temperature=0.0,
                top_p=1.0,
                max_tokens=150,
                seed=0,
            )
            results.append(c.choices[0].message.content)

    start = time.perf_counter()
    await asyncio.gather(*(one(p) for p in prompts))
    elapsed = time.perf_counter() - start
    await client.close()
    assert len(results) == len(prompts)
    return len(prompts) / elapsed


def tightrope_run(base_url: str, suite: str, n: int, concurrency: int) -> float:
    """Return samples/s of a full tightrope run (generate + judge + store) into a fresh store."""
    config = RunConfig(
        targets=(f"openai-compatible:{base_url}#{MODEL}",),
        suites=(suite,),
        judges=("refusal",),
        target_settings={"concurrency": concurrency},
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        res = asyncio.run(run_async(config, out=Path(out)))
        elapsed = time.perf_counter() - start
    assert res.model_calls == n and res.errors == 0, (res.model_calls, res.errors)
    return n / elapsed


def inspect_run(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of Inspect AI on an equivalent task: generate, then a string scorer."""
    import os

    from inspect_ai import Task
    from inspect_ai import eval as inspect_eval
    from inspect_ai.dataset import Sample
    from inspect_ai.scorer import includes
    from inspect_ai.solver import generate

    os.environ.setdefault("OPENAI_API_KEY", "x")
    task = Task(
        dataset=[Sample(input=p, target="sorry") for p in prompts],
        solver=generate(),
        scorer=includes(),
    )
    with tempfile.TemporaryDirectory() as logs:
        start = time.perf_counter()
        [log] = inspect_eval(
            task,
            model=f"openai/{MODEL}",
            model_base_url=base_url,
            model_args={"responses_api": False},  # chat completions, as the other contenders
            max_connections=concurrency,
            max_samples=concurrency,
            max_tokens=150,
            temperature=0.0,
            seed=0,
            display="none",
            log_dir=logs,
            max_retries=0,
        )
        elapsed = time.perf_counter() - start
    assert log.status == "success", (log.status, log.error)
    return len(prompts) / elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=2000)
    ap.add_argument("--concurrency", type=int, nargs="+", default=[64, 256])
    ap.add_argument("--latency", type=float, nargs="+", default=[0.0, 0.05])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--no-inspect", action="store_true", help="skip the Inspect AI contender")
    args = ap.parse_args()
    suite = register_suite(args.prompts)
    prompts = _prompts(args.prompts)
    print(f"{args.prompts} prompts, {args.repeats} alternating repeats per contender")
    print(
        f"{'latency':>8} {'conc':>5} {'bare loop /s':>22} {'tightrope /s':>22} "
        f"{'inspect /s':>22} {'ours/bare':>9} {'ours/inspect':>12}"
    )
    for latency in args.latency:
        with ScriptedServer(latency=latency) as srv:
            for conc in args.concurrency:
                bare: list[float] = []
                ours: list[float] = []
                insp: list[float] = []
                for _ in range(args.repeats):
                    bare.append(asyncio.run(bare_loop(srv.base_url, prompts, conc)))
                    ours.append(tightrope_run(srv.base_url, suite, args.prompts, conc))
                    if not args.no_inspect:
                        insp.append(inspect_run(srv.base_url, prompts, conc))
                b, o = statistics.median(bare), statistics.median(ours)
                i = statistics.median(insp) if insp else float("nan")
                print(
                    f"{latency * 1000:6.0f}ms {conc:5d} "
                    f"{b:8.1f} ({min(bare):6.1f}-{max(bare):6.1f}) "
                    f"{o:8.1f} ({min(ours):6.1f}-{max(ours):6.1f}) "
                    f"{i:8.1f} ({min(insp, default=i):6.1f}-{max(insp, default=i):6.1f}) "
                    f"{o / b:9.2f} {o / i:12.2f}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
