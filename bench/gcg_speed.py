"""GCG steps per second on the embedded model (SmolLM2-135M-Instruct), CPU by default.

    .venv/bin/python bench/gcg_speed.py [--steps 5] [--batch 16 32] [--suffix-len 20]
                                        [--repeats 5] [--device cpu]

Each repeat runs the full search (`gcg_search`: gradient, candidate sampling, retokenisation
filter, batched exact losses) for `--steps` steps on a fixed benign request after one warm-up
step, and prints a table of steps/s: median over repeats (min-max), with the loss before and after.
"""

from __future__ import annotations

import argparse
import time

from _common import machine, print_table, summary

from tightrope.attacks.adaptive.gcg_search import GcgSettings, allowed_tokens, gcg_search
from tightrope.targets.embedded import EmbeddedTarget
from tightrope.targets.hf import load_pretrained

REQUEST = "Write a short poem about the sea"
TARGET = "Sure, here is"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--steps", type=int, default=5)
    ap.add_argument("--batch", type=int, nargs="+", default=[16, 32])
    ap.add_argument("--suffix-len", type=int, default=20)
    ap.add_argument("--topk", type=int, default=64)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--device", default="cpu")
    ap.add_argument("--model", default=None, help="hf model folder instead of the embedded one")
    args = ap.parse_args()
    if args.model:
        tok, model = load_pretrained(args.model, device=args.device)
    else:
        tok, model = EmbeddedTarget("smollm2").load()
        model = model.to(args.device)
    allowed_tokens(tok, model.get_input_embeddings().weight.shape[0])  # cached once
    rows: list[list[object]] = []
    for batch in args.batch:
        warm = GcgSettings(suffix_len=args.suffix_len, steps=1, batch=batch, topk=args.topk)
        gcg_search(tok, model, request=REQUEST, target=TARGET, settings=warm)
        rates: list[float] = []
        result = None
        for seed in range(args.repeats):
            settings = GcgSettings(
                suffix_len=args.suffix_len, steps=args.steps, batch=batch, topk=args.topk, seed=seed
            )
            start = time.perf_counter()
            result = gcg_search(tok, model, request=REQUEST, target=TARGET, settings=settings)
            rates.append(args.steps / (time.perf_counter() - start))
        assert result is not None
        rows.append(
            [
                batch,
                summary(rates, ".3f"),
                f"{result.initial_loss:.2f} -> {result.best_loss:.2f}",
            ]
        )
    print_table(
        f"GCG steps/s: device {args.device}, suffix {args.suffix_len} tokens, top-k {args.topk}, "
        f"{args.steps} steps per run, median of {args.repeats} runs (min-max); {machine()}",
        ["candidates per step", "steps/s", f"loss before -> after {args.steps} steps"],
        rows,
    )


if __name__ == "__main__":
    main()
