"""refusal-clf across models by L2 strength, on training-half rows only (an exploration).

    .venv/bin/python scripts/refusal_clf_transfer.py [--data-dir ../shared/data]

Issue 13 item 7 asks for >= 95 % accuracy on each XSTest completion file when the judge was
trained on the other two (leave-one-model-out), and the shipped recipe (L2 1e-3, chosen by
cross-validation with every model's answers mixed) reaches it for GPT-4 only. This asks whether
the L2 strength changes how the recipe transfers to a model it has not seen, reading only the
training-half prompts (`in_training_split`) of the three files, so the held-out half, where
the strict leave-one-model-out figures and the card's are measured, is never read:

- one to one: trained on one file's rows (with the own and AdvBench rows, as in training),
  tested on another file's rows, for the six ordered pairs;
- two to one: trained on two files' rows, tested on the third's (the training-half part of
  leave-one-model-out's looser view, "unseen model, all its rows").

It writes nothing. Run once on 2026-12-07 (features 2 minutes, fits seconds); the figures are in
docs/judges.md.
"""

from __future__ import annotations

import argparse
from typing import Any

import numpy as np
from train_refusal_clf import (
    MODELS,
    S,
    advbench_rows,
    cascade,
    data_dir,
    extra_rows,
    fit,
    scaling,
    xstest_rows,
)

from tightrope.judges.clf import featurize, gate_features, in_training_split, load_encoders

L2S = (1e-6, 1e-5, 1e-4, 1e-3, 1e-2)


def accuracy(
    fit_on: list[str], test_on: str, feats: dict[str, Any], extra: tuple[Any, Any, Any], l2: float
) -> float:
    """Return the cascade's accuracy on `test_on`'s rows, trained on `fit_on`'s and the extra
    rows at `l2`, model states standardised over the training files' rows."""
    raw, gates, truth = feats["raw"], feats["gates"], feats["truth"]
    extra_raw, extra_g, extra_y = extra
    stack = np.vstack([raw[m] for m in fit_on])
    shift, scale = scaling(stack, np.ones(len(stack), dtype=bool))
    x = np.vstack([(raw[m] - shift) / scale for m in fit_on] + [(extra_raw - shift) / scale])
    g = np.vstack([gates[m] for m in fit_on] + [extra_g])
    y = np.concatenate([truth[m].astype(float) for m in fit_on] + [extra_y])
    model, gate = fit(x, y, l2), fit(g, y, l2)
    pred, _ = cascade(model, gate, (raw[test_on] - shift) / scale, gates[test_on])
    return float((pred == truth[test_on]).mean())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    encoders = load_encoders()
    rows = {m: [r for r in xstest_rows(root, m) if in_training_split(r["id"])] for m in MODELS}
    raw = {
        m: featurize(encoders, [(r["prompt"], r["completion"]) for r in rows[m]]) for m in MODELS
    }
    feats = {
        "raw": raw,
        "gates": {m: gate_features(raw[m][:, :S], [r["completion"] for r in rows[m]]) for m in MODELS},
        "truth": {m: np.array([r["final_label"] != "1_full_compliance" for r in rows[m]]) for m in MODELS},
    }  # fmt: skip
    extra = extra_rows(encoders, advbench_rows(root))
    print(f"training-half rows: {', '.join(f'{m} {len(rows[m])}' for m in MODELS)}")
    for l2 in L2S:
        pairs = [
            f"{a[:5]}->{b[:5]} {accuracy([a], b, feats, extra, l2):.1%}"
            for a in MODELS
            for b in MODELS
            if a != b
        ]
        two = [
            f"{out[:5]} {accuracy([m for m in MODELS if m != out], out, feats, extra, l2):.1%}"
            for out in MODELS
        ]
        print(f"L2 {l2:g}: one to one {'  '.join(pairs)} | two to one {'  '.join(two)}", flush=True)


if __name__ == "__main__":
    main()
