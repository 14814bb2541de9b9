"""Where a learned judge's time goes, stage by stage, and the ceiling that sets on its speed.

    cd bench && ../.venv/bin/python judge_stages.py [--judges harm-clf refusal-clf]
                                                    [--responses 200] [--repeats 3]
                                                    [--texts synthetic|xstest] [--data-dir DIR]
                                                    [--target 200] [--int8]

The learned judges (`refusal-clf`, `harm-clf`) are cascades (judges/learned.py). Each repeat
runs the cascade's stages one after the other on the same responses, as `decide` does, and
times each:

1. MiniLM: the sentence features of every response (split into sentences, then embedded);
2. gate: the gate's cheap features (harm-clf adds six text statistics) and its regression;
3. SmolLM2: the states of the responses the gate is unsure of, read with the request;
4. full regression: the full features and regression of those responses.

The table gives each stage's milliseconds per response (its time over all responses, so the
rows add up to the judge's cost per response) and the share SmolLM2 read. Below it, the ceiling:
SmolLM2's cost per response alone bounds the judge's speed even if every other stage were free,
and `--target` (issue 13: 200 responses/s) allows 1000 / target milliseconds per response.

`--int8` also times MiniLM under torch's dynamic int8 quantisation (`quantize_dynamic` of its
linear layers), the usual cheap speed-up on CPU, and says what it would cost: the cosine between
each sentence's int8 and float32 embeddings, and how far a sentence's int8 embedding moves when
it is read in a batch rather than alone (dynamic quantisation scales activations per batch; the
judges promise a verdict that depends on its response alone). The texts are those of
judge_throughput.py (`--texts`); only time is measured, no label is compared with anything.
"""

from __future__ import annotations

import argparse
import copy
import itertools
import statistics
import time

from _common import machine, print_table, summary
from judge_throughput import items_for, xstest_items

from tightrope.judges import get_judge
from tightrope.judges.learned import LearnedClassifier
from tightrope.judges.shared import forget_recent

STAGES = ("MiniLM", "gate", "SmolLM2", "full regression")


def stage_times(judge: LearnedClassifier, pairs: list[tuple[str, str]]) -> tuple[list[float], int]:
    """Return (seconds spent in each of STAGES, responses SmolLM2 read) for one pass of the
    judge's cascade over `pairs`, the shared record of recent features emptied first."""
    forget_recent()
    _, reader = judge.encoders
    responses = [r for _, r in pairs]
    marks = [time.perf_counter()]
    sent = judge.sentences(responses)
    marks.append(time.perf_counter())
    cheap = judge.cheap_features(sent, responses)
    unsure = judge.unsure(judge.gate_logits(cheap))
    marks.append(time.perf_counter())
    states = judge.read_states(reader, [pairs[int(i)] for i in unsure]) if unsure.size else None
    marks.append(time.perf_counter())
    if states is not None:
        x = judge.full_features(sent[unsure], states, cheap[unsure])
        judge.full_logits(x)
    marks.append(time.perf_counter())
    return [b - a for a, b in itertools.pairwise(marks)], int(unsure.size)


def int8_check(judge: LearnedClassifier, responses: list[str], repeats: int) -> list[list[str]]:
    """Return table rows comparing MiniLM in float32 with MiniLM under dynamic int8
    quantisation on the responses' sentences: speed, closeness, dependence on the batch."""
    import numpy as np
    import torch

    from tightrope.judges.clf import sentences

    embedder = judge.encoders[0]
    quant = copy.copy(embedder)
    quant.model = torch.ao.quantization.quantize_dynamic(
        copy.deepcopy(embedder.model), {torch.nn.Linear}, dtype=torch.qint8
    )
    flat = [s for r in responses for s in sentences(r)]
    rows = []
    ref = embedder.encode(flat)
    for name, enc in (("float32 (shipped)", embedder), ("dynamic int8", quant)):
        rates = []
        for _ in range(repeats):
            start = time.perf_counter()
            out = enc.encode(flat)
            rates.append(len(flat) / (time.perf_counter() - start))
        cos = (out * ref).sum(axis=1)
        few = flat[:32]
        alone = np.stack([enc.encode([s])[0] for s in few])
        moved = float(np.abs(alone - enc.encode(few)).max())
        rows.append(
            [
                name,
                f"{len(flat):,}",
                summary(rates, ".0f"),
                f"{float(cos.min()):.3f} / {float(np.median(cos)):.3f}",
                f"{moved:.1e}",
            ]
        )
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--judges", nargs="+", default=["harm-clf", "refusal-clf"])
    ap.add_argument("--responses", type=int, default=200)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--texts", choices=("synthetic", "xstest"), default="synthetic")
    ap.add_argument("--data-dir", default=None, help="with --texts xstest")
    ap.add_argument("--target", type=float, default=200.0, help="responses/s to compare with")
    ap.add_argument("--int8", action="store_true", help="also time MiniLM in dynamic int8")
    args = ap.parse_args()
    n = args.responses
    items = items_for(n) if args.texts == "synthetic" else xstest_items(n, args.data_dir)
    pairs = [(i.behavior.text, i.response) for i in items]
    budget = 1000.0 / args.target
    for name in args.judges:
        judge = get_judge(name)
        if not isinstance(judge, LearnedClassifier):
            raise SystemExit(f"{name} is not a learned judge (a cascade); try harm-clf")
        judge.load()
        runs = [stage_times(judge, pairs) for _ in range(args.repeats)]
        read = runs[-1][1]
        per = [[1000.0 * run[0][k] / n for run in runs] for k in range(len(STAGES))]
        total = [sum(run[0]) for run in runs]
        rows = [[stage, summary(ms, ".2f")] for stage, ms in zip(STAGES, per, strict=True)]
        rows.append(["all stages", summary([1000.0 * t / n for t in total], ".2f")])
        print_table(
            f"{name} {judge.version}, {n} {args.texts} responses: milliseconds per response,"
            f" median of {args.repeats} runs (min-max); {machine()}",
            ["stage", "ms per response"],
            rows,
        )
        smol = statistics.median(per[2])
        per_read = 1000.0 * statistics.median(run[0][2] for run in runs) / max(read, 1)
        print(
            f"\nSmolLM2 read {read} of {n} responses ({read / n:.0%}), {per_read:.0f} ms each;"
            f" the judge: {n / statistics.median(total):.0f} responses/s."
            f"\nCeiling with every other stage free: {1000.0 / smol if smol else float('inf'):.0f}"
            f" responses/s. {args.target:.0f} responses/s allows {budget:.1f} ms per response;"
            f" MiniLM alone takes {statistics.median(per[0]):.1f}."
        )
        if args.int8:
            print_table(
                f"MiniLM on the sentences of the same responses, sentences/s: median of"
                f" {args.repeats} runs (min-max); {machine()}",
                [
                    "MiniLM",
                    "sentences",
                    "sentences/s",
                    "cosine to float32 (min / median)",
                    "largest move, alone vs in a batch",
                ],
                int8_check(judge, [r for _, r in pairs], args.repeats),
            )


if __name__ == "__main__":
    main()
