"""Embedded model throughput: batched vs one prompt at a time, in one invocation.

    .venv/bin/python bench/embedded_throughput.py [--prompts 16] [--tokens 64] [--repeats 3]

Prints generated tokens per second for each mode (median over repeats) and the ratio
batched / one-at-a-time. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import statistics
import time

from tightrope.datasets import load_suite
from tightrope.records import GenerationConfig, Message
from tightrope.targets.embedded import EmbeddedTarget


def _tokens_per_s(
    target: EmbeddedTarget, prompts: list[str], config: GenerationConfig, batch: int
) -> float:
    convs = [(Message(role="user", content=p),) for p in prompts]
    start = time.perf_counter()
    tokens = 0
    for i in range(0, len(convs), batch):
        out = asyncio.run(target.generate(convs[i : i + batch], config))
        assert all(r.ok for r in out), [r.error for r in out]
        tokens += sum(r.usage.completion_tokens for r in out)
    return tokens / (time.perf_counter() - start)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=3)
    args = ap.parse_args()
    prompts = [b.text for b in load_suite("starter").behaviors[: args.prompts]]
    config = GenerationConfig(max_tokens=args.tokens)
    target = EmbeddedTarget("smollm2", batch_size=args.prompts)
    target.load()
    _tokens_per_s(target, prompts[:2], config, 2)  # warm-up
    single, batched = [], []
    for _ in range(args.repeats):
        single.append(_tokens_per_s(target, prompts, config, 1))
        batched.append(_tokens_per_s(target, prompts, config, args.prompts))
    s, b = statistics.median(single), statistics.median(batched)
    print(
        f"machine: {platform.machine()}, {platform.python_version()}, "
        f"{__import__('os').cpu_count()} cpus"
    )
    print(f"{args.prompts} prompts x {args.tokens} new tokens, greedy, {args.repeats} repeats")
    print(f"one at a time : median {s:7.1f} tok/s  (runs: {', '.join(f'{x:.1f}' for x in single)})")
    print(
        f"batched ({args.prompts:>2})  : median {b:7.1f} tok/s  "
        f"(runs: {', '.join(f'{x:.1f}' for x in batched)})"
    )
    print(f"ratio batched / one-at-a-time: {b / s:.2f}x")


if __name__ == "__main__":
    main()
