"""Embedded model throughput: batched vs one prompt at a time, in one invocation.

    .venv/bin/python bench/embedded_throughput.py [--prompts 16] [--tokens 64] [--repeats 5]
    .venv/bin/python bench/embedded_throughput.py --dtypes [--prompts 37] [--tokens 150]

Prints a table: generated tokens per second for each mode (median over repeats, min-max) and
the ratio batched / one-at-a-time. With --dtypes, both modes are batched and the table compares
float32 with bfloat16 (each run alternating with the other), the ratio being bfloat16 /
float32. Results are recorded in docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import asyncio
import time

from _common import machine, print_table, ratio, summary

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


def compare_dtypes(prompts: list[str], config: GenerationConfig, repeats: int) -> None:
    """Print batched tokens/s of the float32 and the bfloat16 model, runs alternating."""
    targets = {
        d: EmbeddedTarget("smollm2", batch_size=len(prompts), dtype=d)
        for d in ("float32", "bfloat16")
    }
    rates: dict[str, list[float]] = {d: [] for d in targets}
    for target in targets.values():
        target.load()
        _tokens_per_s(target, prompts[:2], config, 2)  # warm-up
    for _ in range(repeats):
        for dtype, target in targets.items():
            rates[dtype].append(_tokens_per_s(target, prompts, config, len(prompts)))
    print_table(
        f"Embedded model, generated tokens/s: a batch of {len(prompts)} prompts x "
        f"{config.max_tokens} new tokens, greedy, median of {repeats} alternating runs "
        f"(min-max); {machine()}",
        ["dtype", "tokens/s"],
        [
            ["float32", summary(rates["float32"])],
            ["bfloat16", summary(rates["bfloat16"])],
            ["ratio bfloat16 / float32", f"{ratio(rates['bfloat16'], rates['float32'])}x"],
        ],
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--prompts", type=int, default=16)
    ap.add_argument("--tokens", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--dtypes", action="store_true", help="float32 against bfloat16, batched")
    args = ap.parse_args()
    prompts = [b.text for b in load_suite("starter").behaviors[: args.prompts]]
    config = GenerationConfig(max_tokens=args.tokens)
    if args.dtypes:
        compare_dtypes(prompts, config, args.repeats)
        return
    target = EmbeddedTarget("smollm2", batch_size=args.prompts, dtype="float32")
    target.load()
    _tokens_per_s(target, prompts[:2], config, 2)  # warm-up
    single, batched = [], []
    for _ in range(args.repeats):
        single.append(_tokens_per_s(target, prompts, config, 1))
        batched.append(_tokens_per_s(target, prompts, config, args.prompts))
    print_table(
        f"Embedded model, generated tokens/s: {args.prompts} prompts x {args.tokens} new tokens, "
        f"greedy, median of {args.repeats} runs (min-max); {machine()}",
        ["mode", "tokens/s"],
        [
            ["one at a time", summary(single)],
            [f"batch of {args.prompts}, left padding", summary(batched)],
            ["ratio batched / one at a time", f"{ratio(batched, single)}x"],
        ],
    )


if __name__ == "__main__":
    main()
