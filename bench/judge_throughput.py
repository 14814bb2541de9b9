"""Responses per second of each offline judge on synthetic responses.

    .venv/bin/python bench/judge_throughput.py [--responses 100000] [--clf-responses 2000]
                                               [--repeats 5] [--judges NAME ...]
                                               [--texts synthetic|xstest] [--data-dir DIR]
                                               [--after NAME]

The offline judges are those that need no model endpoint (`needs_model` is false): gcg-strings,
jbb-strings, xstest-strings, refusal, refusal-clf and harm-clf. Each repeat hands the whole list of
responses to one `judge()` call of the same judge instance (the public Judge protocol, Verdict
objects included) and times it; the figure is responses / wall time. The responses are synthetic
and harmless: refusals, compliances (some in markdown lists) and partial refusals from a dozen
templates, numbered so no two are equal, 3 to about 250 characters long.

refusal-clf embeds every response with MiniLM (about 140 responses per second on 2 cores) and
reads only those its gate is unsure of with 20 layers of SmolLM2-135M (about 15 per second), so
its rate depends on the texts; the table's last column gives the share SmolLM2 read. It reads
`--clf-responses` responses instead of `--responses` (the table says how many); its one-off
model load is timed apart and left out of the rate. harm-clf, the learned harm judge, is a
cascade too (generation 2: a gate on MiniLM and text statistics, SmolLM2 reading 128 tokens of
the rest; generation 1 read every response with SmolLM2), and is run like refusal-clf.

`--after refusal-clf` times each other learned judge as it runs in a default `tightrope run`:
refusal-clf reads the same responses first (untimed), so the MiniLM sentence features it
computed are reused. Without it, every repeat reads its responses afresh.

`--texts xstest` replaces the synthetic responses by real ones: the 1,350 XSTest v2 completions
(gpt4, llama2orig, mistralinstruct) with their prompts, cycled to the count asked for, read from
--data-dir or TIGHTROPE_DATA_DIR. Only speed is measured; no label is compared with anything.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import random
import time
from collections import Counter

from _common import machine, print_table, summary

from tightrope.judges import JudgeItem, get_judge, judges, needs_model
from tightrope.judges import clf as _clf
from tightrope.judges import harm_clf as _harm_clf
from tightrope.judges.evalsets import data_dir, load_xstest
from tightrope.records import Behavior

# The reason a learned judge gives where SmolLM2 read the response. A tree from before
# refusal-clf's cascade (issue 14's baseline) has no BOTH: SmolLM2 read every response. harm-clf
# gives REASON in every generation; generation 1 read every response with SmolLM2.
READ_REASON: dict[str, str | None] = {
    "refusal-clf": getattr(_clf, "BOTH", None),
    "harm-clf": _harm_clf.REASON,
}

# Each repeat reads the responses afresh: the learned judges' shared record of recent MiniLM
# features is emptied first (a tree from before that record has none).
if importlib.util.find_spec("tightrope.judges.shared") is not None:
    from tightrope.judges.shared import forget_recent as forget
else:

    def forget() -> None:
        """Nothing to forget in a tree without the record."""


TEMPLATES = (
    "I'm sorry, but I can't help with that.",
    "I cannot provide instructions for request {i}. It is not appropriate, and it could cause "
    "harm to others. If you have another question, I'm happy to help.",
    "As an AI language model, I must decline request {i}: it goes against my guidelines.",
    "Sure! Here is a short overview of topic {i}.\n\n1. **Check** the documentation first.\n"
    "2. Open the settings page and find the option you need.\n3. Apply the change and restart "
    "the service.\n\nLet me know if you need more detail on any step.",
    "Certainly. To stop process {i}, find its id with `ps aux | grep name`, then send it a "
    "signal with `kill PID`. If it does not exit, `kill -9 PID` forces it. Be careful to pick "
    "the right process, since killing the wrong one can lose unsaved work.",
    "Here are some ideas for item {i}:\n- a walk in the park\n- a picnic by the lake\n"
    "- a visit to the local museum\n- a board game evening with friends",
    "The answer to question {i} depends on context. In general, the first approach is simpler, "
    "while the second scales better. For small projects I would start with the first one and "
    "revisit the choice once the requirements are clearer.",
    "I can't help with the specific request {i}. However, here is some general information "
    "about safety practices that may be useful: keep software updated, use strong passwords, "
    "and back up your data regularly.",
    "I'm sorry to hear that you are dealing with problem {i}! Here is what usually helps: take "
    "a short break, write down the steps you tried, and ask a colleague to look at it.",
    "I don't have access to your account {i}, so I cannot check it directly. You can look at "
    "the account page yourself, or contact support.",
    "No.",
    "Step {i}: [placeholder answer text]. Step {i} continues with more placeholder words so the "
    "response has a realistic length for a short model answer of about a hundred tokens, which "
    "is what a benchmark run with the default settings usually produces.",
)


def responses(n: int) -> list[str]:
    """Return n synthetic, harmless responses cycling through the templates."""
    return [TEMPLATES[i % len(TEMPLATES)].format(i=i) for i in range(n)]


def items_for(n: int) -> list[JudgeItem]:
    """Return n judge items: the responses, alternately to a harmful and a benign behavior."""
    sides = [
        Behavior(
            id=f"b-{side}",
            text="[placeholder request]",
            side=side,
            category="S14",
            source_category="bench",
            source="bench@1",
        )
        for side in ("harmful", "benign")
    ]
    return [JudgeItem(behavior=sides[i % 2], response=r) for i, r in enumerate(responses(n))]


def xstest_items(n: int, root: str | None) -> list[JudgeItem]:
    """Return n judge items cycling through the XSTest v2 completions and their prompts, in a
    fixed shuffled order (so that a prefix mixes the three models' answers)."""
    rows = list(load_xstest(data_dir(root)).rows)
    random.Random(0).shuffle(rows)
    return [
        JudgeItem(
            behavior=Behavior(
                id=f"x-{i % len(rows)}",
                text=rows[i % len(rows)].prompt,
                side="benign",
                category="S0",
                source_category="bench",
                source="bench@1",
            ),
            response=rows[i % len(rows)].response,
        )
        for i in range(n)
    ]


# The learned judges read `--clf-responses` responses: they run a model on each.
LEARNED = ("refusal-clf", "harm-clf")


def offline_judges() -> list[str]:
    """Return the registered judges that need no model endpoint."""
    return [n for n in judges.names() if not needs_model(n)]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--responses", type=int, default=100_000)
    ap.add_argument("--clf-responses", type=int, default=2000)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--judges", nargs="+", default=None, help="default: every offline judge")
    ap.add_argument("--texts", choices=("synthetic", "xstest"), default="synthetic")
    ap.add_argument("--data-dir", default=None, help="with --texts xstest")
    ap.add_argument(
        "--after",
        default=None,
        help="before each timed repeat, this judge reads the same responses (untimed), as the "
        "first default judge does in a run (e.g. refusal-clf before harm-clf)",
    )
    args = ap.parse_args()
    rows: list[list[object]] = []
    before = get_judge(args.after) if args.after else None
    for name in args.judges or offline_judges():
        n = args.clf_responses if name in LEARNED else args.responses
        items = items_for(n) if args.texts == "synthetic" else xstest_items(n, args.data_dir)
        judge = get_judge(name)
        load = getattr(judge, "load", None)
        start = time.perf_counter()
        if callable(load):
            load()
        load_s = time.perf_counter() - start
        rates: list[float] = []
        read = 0
        labels: Counter[str] = Counter()
        for _ in range(args.repeats):
            forget()
            if before is not None and name != args.after:
                asyncio.run(before.judge(items))  # untimed, as in a run
            start = time.perf_counter()
            verdicts = asyncio.run(judge.judge(items))
            rates.append(n / (time.perf_counter() - start))
            assert len(verdicts) == n
            labels = Counter(v.label for v in verdicts)
            read = sum(v.reason == READ_REASON.get(name) for v in verdicts)
        rows.append(
            [
                name,
                f"{n:,}",
                summary(rates, ".0f"),
                f"{load_s:.1f} s" if callable(load) else "-",
                ", ".join(f"{k} {v / n:.0%}" for k, v in sorted(labels.items())),
                f"{read / n:.0%}" if READ_REASON.get(name) is not None else "-",
            ]
        )
        print(f"done: {name}", flush=True)
    print_table(
        f"Offline judges, {args.texts} responses, responses/s: median of {args.repeats} runs"
        f" (min-max); {machine()}",
        ["judge", "responses", "responses/s", "load (once)", "labels", "SmolLM2 read"],
        rows,
    )


if __name__ == "__main__":
    main()
