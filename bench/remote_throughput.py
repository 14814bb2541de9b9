"""Throughput of a run against a local OpenAI-compatible server: tightrope, the bare-loop
ceiling and Inspect AI, alternating within one invocation against the same server.

    .venv/bin/python bench/remote_throughput.py [--prompts 2000] [--concurrency 64 256]
                                                [--latency 0 0.05] [--repeats 5]
                                                [--inspect-concurrency 64 256] [--no-inspect]

The server is `bench/openai_stub_server.py` (asyncio, HTTP/1.1 keep-alive, the real
chat-completions JSON), started once per latency in its own process on 127.0.0.1, so it does not
share the client's interpreter or GIL (it still shares the machine's cores). Contenders, in
rotating order within each repeat:
  * bare loop: the same `openai` SDK calls under an asyncio.Semaphore, results kept in a list
    (the ceiling: no store, no judge, no retries);
  * tightrope: `run_async` with an `openai-compatible:` target, the `refusal` judge on, every row
    written to a fresh SQLite store, metrics computed;
  * Inspect AI: an equivalent task (the same prompts, `generate()`, an `includes()` string
    scorer) with the same endpoint, max_connections and max_samples, logs written to a temporary
    folder (only at the concurrencies given by --inspect-concurrency; skip all: --no-inspect).
Each contender first makes one untimed run of 20 prompts (imports, clients). Each figure is
prompts / wall time of one whole run. Prints one table: samples per
second (median over repeats, min-max) and the ratios tightrope / bare loop and tightrope /
Inspect AI. Every run is checked against the server's request counter.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import os
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from _common import machine, print_table, ratio, summary
from openai_stub_server import StubServer

from tightrope.datasets import Suite, dataset
from tightrope.records import Behavior
from tightrope.run import RunConfig, run_async

MODEL = "bench-model"
WARM_UP = 20  # prompts of each contender's untimed first run


def prompts_for(n: int) -> list[str]:
    """Return n distinct harmless prompts."""
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
            for i, p in enumerate(prompts_for(n))
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


def bare_run(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of `bare_loop` in a fresh event loop."""
    return asyncio.run(bare_loop(base_url, prompts, concurrency))


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
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument(
        "--inspect-concurrency",
        type=int,
        nargs="*",
        default=None,
        help="concurrencies at which Inspect AI runs too (default: all of --concurrency)",
    )
    ap.add_argument(
        "--inspect-latency",
        type=float,
        nargs="*",
        default=None,
        help="latencies at which Inspect AI runs too (default: all of --latency)",
    )
    ap.add_argument("--no-inspect", action="store_true", help="skip the Inspect AI contender")
    args = ap.parse_args()
    n = args.prompts
    suite = register_suite(n)
    prompts = prompts_for(n)
    insp_conc = set(
        args.concurrency if args.inspect_concurrency is None else args.inspect_concurrency
    )
    insp_lat = set(args.latency if args.inspect_latency is None else args.inspect_latency)
    if args.no_inspect:
        insp_conc = set()
    warm_suite = register_suite(WARM_UP)
    rows: list[list[object]] = []
    for latency in args.latency:
        with StubServer(latency=latency) as srv:
            url = srv.base_url
            # Untimed warm-up: imports, SDK clients and the first connections of each contender.
            bare_run(url, prompts_for(WARM_UP), 8)
            tightrope_run(url, warm_suite, WARM_UP, 8)
            if insp_conc and latency in insp_lat:
                inspect_run(url, prompts_for(WARM_UP), 8)
            gc.collect()
            for conc in args.concurrency:
                contenders: dict[str, Callable[[], float]] = {
                    "bare": partial(bare_run, url, prompts, conc),
                    "tightrope": partial(tightrope_run, url, suite, n, conc),
                }
                if conc in insp_conc and latency in insp_lat:
                    contenders["inspect"] = partial(inspect_run, url, prompts, conc)
                rates: dict[str, list[float]] = {k: [] for k in contenders}
                names = list(contenders)
                for rep in range(args.repeats):
                    # Rotate the order so no contender always runs first (or after Inspect).
                    for name in names[rep % len(names) :] + names[: rep % len(names)]:
                        before = srv.requests()
                        rates[name].append(contenders[name]())
                        served = srv.requests() - before
                        assert served == n, f"{name}: server answered {served} of {n} requests"
                        # Close finished HTTP clients now, not during the next contender's run.
                        gc.collect()
                rows.append(
                    [
                        f"{latency * 1000:.0f} ms",
                        conc,
                        summary(rates["bare"]),
                        summary(rates["tightrope"]),
                        summary(rates.get("inspect", [])),
                        ratio(rates["tightrope"], rates["bare"]),
                        ratio(rates["tightrope"], rates.get("inspect", [])),
                    ]
                )
                print(f"done: latency {latency * 1000:.0f} ms, concurrency {conc}", flush=True)
    print_table(
        f"Throughput, samples/s: {n} prompts, refusal judge, median of {args.repeats} "
        f"alternating runs (min-max); {machine()}",
        [
            "server latency",
            "concurrency",
            "bare loop",
            "tightrope",
            "Inspect AI",
            "tightrope / bare",
            "tightrope / Inspect",
        ],
        rows,
    )


if __name__ == "__main__":
    main()
