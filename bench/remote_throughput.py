"""Throughput of a run against a local OpenAI-compatible server: tightrope over both transports,
the bare SDK loop, a raw aiohttp loop, a loop of tightrope's own HTTP/1.1 client (the practical
ceiling) and Inspect AI, alternating within one invocation against the same server.

    .venv/bin/python bench/remote_throughput.py [--prompts 2000] [--concurrency 64 256]
                                                [--latency 0 0.05] [--repeats 5]
                                                [--inspect-concurrency 64 256] [--no-inspect]
                                                [--arms NAME ...]

The server is `bench/openai_stub_server.py` (asyncio, HTTP/1.1 keep-alive, the real
chat-completions JSON), started once per latency in its own process on 127.0.0.1, so it does not
share the client's interpreter or GIL (it still shares the machine's cores). Contenders (arms),
in rotating order within each repeat:
  * aiohttp loop (the ratios' reference): one aiohttp session, orjson bodies, the same JSON
    posted under an asyncio.Semaphore, answers kept in a list: no store, judge or retries;
  * http1 loop (the practical ceiling): the same with tightrope's own HTTP/1.1 client
    (targets/http1.py), which the lean transport uses for direct connections;
  * SDK loop: the same calls through the `openai` SDK under a semaphore (the "bare loop");
  * tightrope sdk / tightrope lean: `run_async` with an `openai-compatible:` target over each
    transport, the `refusal` judge on, every row written to a fresh SQLite store, metrics
    computed;
  * Inspect AI: an equivalent task (the same prompts, `generate()`, an `includes()` string
    scorer) with the same endpoint, max_connections and max_samples, logs written to a temporary
    folder (only at the concurrencies given by --inspect-concurrency; skip all: --no-inspect).
Every arm but Inspect AI (which runs its own loop) runs on tightrope's event loop
(tightrope/eventloop.py: uvloop where installed), as `tightrope run` does. Each arm first makes
one untimed run of 20 prompts (imports, clients). Each figure is prompts / wall time of one whole
run. Prints two tables: samples per second (median over repeats, min-max), and each arm's ratio
to the aiohttp loop of the same repeat (median over repeats; noise on a shared machine hits
neighbouring runs alike), with tightrope lean's ratio to the concurrency / latency ceiling where
the latency is above 0. Every run is checked against the server's request counter; the machine's
load average is printed before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path

from _common import machine, print_table, summary
from openai_stub_server import StubServer

from tightrope import eventloop
from tightrope.datasets import Suite, dataset
from tightrope.records import Behavior
from tightrope.run import RunConfig, run_async

MODEL = "bench-model"
WARM_UP = 20  # prompts of each contender's untimed first run
ARMS = ("aiohttp", "http1", "sdk-loop", "tightrope-sdk", "tightrope-lean", "inspect")
EXTRA_ARMS = ("httpx",)  # run only when named in --arms
LABELS = {
    "httpx": "httpx loop",
    "aiohttp": "aiohttp loop",
    "http1": "http1 loop",
    "sdk-loop": "SDK loop",
    "tightrope-sdk": "tightrope sdk",
    "tightrope-lean": "tightrope lean",
    "inspect": "Inspect AI",
}


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


def chat_body(prompt: str) -> dict[str, object]:
    """Return the chat-completions request every arm sends for one prompt."""
    return {
        "model": MODEL,
        "messages": [{"role": "user", "content": prompt}],
        "max_tokens": 150,
        "seed": 0,
        "temperature": 0.0,
        "top_p": 1.0,
    }


async def sdk_loop(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of plain `openai` SDK calls under a semaphore (the bare SDK loop)."""
    import openai

    client = openai.AsyncOpenAI(api_key="x", base_url=base_url, max_retries=0, timeout=120)
    sem = asyncio.Semaphore(concurrency)
    results: list[str | None] = []

    async def one(p: str) -> None:
        async with sem:
            c = await client.chat.completions.create(**chat_body(p))  # type: ignore[call-overload]
            results.append(c.choices[0].message.content)

    start = time.perf_counter()
    await asyncio.gather(*(one(p) for p in prompts))
    elapsed = time.perf_counter() - start
    await client.close()
    assert len(results) == len(prompts)
    return len(prompts) / elapsed


async def aiohttp_loop(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of the same JSON posted with aiohttp and orjson under a semaphore: the
    least client work per request a general Python HTTP client allows here (the ratios'
    reference)."""
    import aiohttp
    import orjson

    url = f"{base_url}/chat/completions"
    headers = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    connector = aiohttp.TCPConnector(limit=concurrency, ttl_dns_cache=None)
    results: list[str] = []
    async with aiohttp.ClientSession(connector=connector, headers=headers) as session:
        sem = asyncio.Semaphore(concurrency)

        async def one(p: str) -> None:
            async with sem, session.post(url, data=orjson.dumps(chat_body(p))) as resp:
                data = orjson.loads(await resp.read())
                results.append(data["choices"][0]["message"]["content"])

        start = time.perf_counter()
        await asyncio.gather(*(one(p) for p in prompts))
        elapsed = time.perf_counter() - start
    assert len(results) == len(prompts)
    return len(prompts) / elapsed


async def http1_loop(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of the same JSON posted with tightrope's own HTTP/1.1 client
    (targets/http1.py, the lean transport's) under a semaphore: that client without a run."""
    import orjson

    from tightrope.targets.http1 import Origin

    headers = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    origin = Origin(f"{base_url}/chat/completions", headers=headers, timeout=120, pool=concurrency)
    sem = asyncio.Semaphore(concurrency)
    results: list[str] = []

    async def one(p: str) -> None:
        async with sem:
            reply = await origin.post(orjson.dumps(chat_body(p)))
            results.append(orjson.loads(reply.body)["choices"][0]["message"]["content"])

    start = time.perf_counter()
    await asyncio.gather(*(one(p) for p in prompts))
    elapsed = time.perf_counter() - start
    origin.close()
    assert len(results) == len(prompts)
    return len(prompts) / elapsed


async def httpx_loop(base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of the same JSON posted with a bare httpx client (no SDK model layer),
    the other candidate for the lean transport (issue 22 chose by this measurement)."""
    import httpx
    import orjson

    url = f"{base_url}/chat/completions"
    headers = {"Authorization": "Bearer x", "Content-Type": "application/json"}
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    results: list[str] = []
    async with httpx.AsyncClient(headers=headers, limits=limits, timeout=120) as client:
        sem = asyncio.Semaphore(concurrency)

        async def one(p: str) -> None:
            async with sem:
                resp = await client.post(url, content=orjson.dumps(chat_body(p)))
                results.append(orjson.loads(resp.content)["choices"][0]["message"]["content"])

        start = time.perf_counter()
        await asyncio.gather(*(one(p) for p in prompts))
        elapsed = time.perf_counter() - start
    assert len(results) == len(prompts)
    return len(prompts) / elapsed


LOOPS = {
    "aiohttp": aiohttp_loop,
    "http1": http1_loop,
    "sdk-loop": sdk_loop,
    "httpx": httpx_loop,
}


def loop_run(arm: str, base_url: str, prompts: list[str], concurrency: int) -> float:
    """Return samples/s of one of the plain loops on a fresh event loop (tightrope's kind)."""
    return eventloop.run(LOOPS[arm](base_url, prompts, concurrency))


def tightrope_run(base_url: str, suite: str, n: int, concurrency: int, transport: str) -> float:
    """Return samples/s of a full tightrope run (generate + judge + store) into a fresh store."""
    config = RunConfig(
        targets=(f"openai-compatible:{base_url}#{MODEL}",),
        suites=(suite,),
        judges=("refusal",),
        target_settings={"concurrency": concurrency, "transport": transport},
    )
    with tempfile.TemporaryDirectory() as out:
        start = time.perf_counter()
        res = eventloop.run(run_async(config, out=Path(out)))
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


def load() -> str:
    """Return the machine's 1, 5 and 15 minute load averages."""
    return "/".join(f"{x:.1f}" for x in os.getloadavg())


def arm_runs(
    arms: list[str], url: str, prompts: list[str], suite: str, conc: int
) -> dict[str, Callable[[], float]]:
    """Return the chosen arms as calls of no arguments, each making one timed run."""
    n = len(prompts)
    made: dict[str, Callable[[], float]] = {
        "aiohttp": partial(loop_run, "aiohttp", url, prompts, conc),
        "http1": partial(loop_run, "http1", url, prompts, conc),
        "sdk-loop": partial(loop_run, "sdk-loop", url, prompts, conc),
        "tightrope-sdk": partial(tightrope_run, url, suite, n, conc, "sdk"),
        "tightrope-lean": partial(tightrope_run, url, suite, n, conc, "lean"),
        "inspect": partial(inspect_run, url, prompts, conc),
        "httpx": partial(loop_run, "httpx", url, prompts, conc),
    }
    return {a: made[a] for a in arms}


def per_repeat_ratio(a: list[float], b: list[float]) -> str:
    """Return the median over repeats of a[i] / b[i], or "-" when either is missing."""
    if not a or not b:
        return "-"
    return f"{statistics.median(x / y for x, y in zip(a, b, strict=True)):.2f}"


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
    ap.add_argument(
        "--arms",
        nargs="+",
        choices=ARMS + EXTRA_ARMS,
        default=list(ARMS),
        help="arms to run (the aiohttp loop always runs: the ratios are to it); httpx only here",
    )
    args = ap.parse_args()
    n = args.prompts
    suite = register_suite(n)
    prompts = prompts_for(n)
    insp_conc = set(
        args.concurrency if args.inspect_concurrency is None else args.inspect_concurrency
    )
    insp_lat = set(args.latency if args.inspect_latency is None else args.inspect_latency)
    if args.no_inspect or "inspect" not in args.arms:
        insp_conc = set()
    base_arms = ["aiohttp"] + [a for a in args.arms if a not in ("aiohttp", "inspect")]
    shown = [a for a in (*ARMS, *EXTRA_ARMS) if a in base_arms or a in args.arms]
    warm_suite = register_suite(WARM_UP)
    started_load = load()
    print(f"event loop: {eventloop.loop_name()}; load average before: {started_load}", flush=True)
    rate_rows: list[list[object]] = []
    ratio_rows: list[list[object]] = []
    for latency in args.latency:
        with StubServer(latency=latency) as srv:
            url = srv.base_url
            with_inspect = bool(insp_conc) and latency in insp_lat
            # Untimed warm-up: imports, clients and the first connections of each arm.
            warm_arms = base_arms + (["inspect"] if with_inspect else [])
            for run in arm_runs(warm_arms, url, prompts_for(WARM_UP), warm_suite, 8).values():
                run()
            gc.collect()
            for conc in args.concurrency:
                arms = base_arms + (["inspect"] if with_inspect and conc in insp_conc else [])
                contenders = arm_runs(arms, url, prompts, suite, conc)
                rates: dict[str, list[float]] = {k: [] for k in (*ARMS, *EXTRA_ARMS)}
                for rep in range(args.repeats):
                    # Rotate the order so no contender always runs first (or after Inspect).
                    for name in arms[rep % len(arms) :] + arms[: rep % len(arms)]:
                        before = srv.requests()
                        rates[name].append(contenders[name]())
                        served = srv.requests() - before
                        assert served == n, f"{name}: server answered {served} of {n} requests"
                        # Close finished HTTP clients now, not during the next contender's run.
                        gc.collect()
                lat = f"{latency * 1000:.0f} ms"
                ceiling = f"{conc / latency:.0f}" if latency else "-"
                rate_rows.append([lat, conc, ceiling, *(summary(rates[a]) for a in shown)])
                ideal = [conc / latency] * args.repeats if latency else []
                ratio_rows.append(
                    [
                        lat,
                        conc,
                        *(per_repeat_ratio(rates[a], rates["aiohttp"]) for a in shown[1:]),
                        per_repeat_ratio(rates["tightrope-lean"], rates["sdk-loop"]),
                        per_repeat_ratio(rates["tightrope-lean"], ideal),
                        per_repeat_ratio(rates["aiohttp"], ideal),
                        per_repeat_ratio(rates["http1"], ideal),
                    ]
                )
                print(f"done: latency {lat}, concurrency {conc}; load {load()}", flush=True)
    where = (
        f"{n} prompts, refusal judge, median of {args.repeats} alternating runs; event loop "
        f"{eventloop.loop_name()}; load average {started_load} before, {load()} after; "
        f"{machine()}"
    )
    print_table(
        f"Throughput, samples/s (min-max): {where}",
        ["server latency", "concurrency", "conc / latency", *(LABELS[a] for a in shown)],
        rate_rows,
    )
    print_table(
        "Ratios, median over repeats of the ratio within each repeat",
        [
            "server latency",
            "concurrency",
            *(f"{LABELS[a]} / aiohttp" for a in shown[1:]),
            "lean / SDK loop",
            "lean / (conc / latency)",
            "aiohttp / (conc / latency)",
            "http1 / (conc / latency)",
        ],
        ratio_rows,
    )


if __name__ == "__main__":
    main()
