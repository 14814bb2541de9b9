"""Choose refusal-clf's L2 strength for models it has not seen, on training-half rows only.

    .venv/bin/python scripts/refusal_clf_select.py [--jailbreaks] [--data-dir ../shared/data]
        [--cache FILE]

The shipped L2 (1e-3) was chosen by cross-validation with every model's answers mixed, which
cannot see how the recipe carries to another model's way of refusing; issue 13 item 7 asks for
exactly that. This reads only the training-half prompts (`in_training_split`) of the three
XSTest completion files, so the held-out half, where refusal-clf's held-out figure and its
strict leave-one-model-out figures are measured, is never read. For each candidate L2 (the same
strength for the full regression and the gate, as in training) it prints:

- cross-model: for each file, train on the other two files' training-half rows (with the own
  and AdvBench rows, as in training), test the cascade (margin MARGIN, 1.0) on its
  training-half rows; the worst of the three;
- inner CV: accuracy of the cascade under grouped 5-fold cross-validation inside the training
  half with every model's answers mixed (`train_refusal_clf.inner_folds`, 3 fold assignments
  here instead of 8 to keep the run short).

The rule, written down before the first run (2026-12-07): among the candidates whose inner-CV
accuracy is at most 0.5 points below the best candidate's, take the one with the best worst-file
cross-model accuracy; ties go to the larger L2 (the simpler model). It picked 1e-6. Trained at
that L2 (with the gate's margin re-picked, 4.0), refusal-clf read 33 of 598 jailbroken attack
artifacts as refusals (v3: 16) and 5 of the judge-comparison file's 110 unsafe answers (the
floor is 3; v3: 1), so it was not shipped. ``--jailbreaks`` adds the check that run showed was
missing, written down before it was run: it counts, for each candidate trained on every file's
training-half rows, the jailbroken artifacts read as refusals (none of them in the
judge-comparison file), and the second rule keeps only the candidates that misread no more than
v3's L2 before applying the first. It writes nothing;
`train_refusal_clf.py` holds the chosen L2 and then re-picks the gate's margin (`--inner-cv`).
``--cache FILE`` keeps the features (training-half rows only) between runs, outside the
repository.
"""

from __future__ import annotations

import argparse
from pathlib import Path
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
    inner_cv_scores,
    jailbroken_artifacts,
    scaling,
    xstest_rows,
)

from tightrope.judges.clf import featurize, gate_features, in_training_split, load_encoders

L2S = (1e-6, 3e-6, 1e-5, 3e-5, 1e-4, 3e-4, 1e-3)
INNER_SEEDS = 3
INNER_SLACK = 0.005  # how far below the best inner-CV accuracy a candidate may be
# The cascade's margin the rule was run with (v3's); train_refusal_clf.py --inner-cv then re-picks
# it for the chosen L2, whose logits are on another scale.
MARGIN = 1.0
V3_L2 = 1e-3


def training_half(root: Path, cache: Path | None) -> dict[str, Any]:
    """Return the training-half rows' features per file ("raw", "gates", "truth", "ids") and the
    extra rows' ("extra"), read from `cache` when it holds them."""
    if cache is not None and cache.exists():
        z = np.load(cache)
        return {
            "raw": {m: z[f"raw_{m}"] for m in MODELS},
            "gates": {m: z[f"gates_{m}"] for m in MODELS},
            "truth": {m: z[f"truth_{m}"] for m in MODELS},
            "ids": {m: [str(i) for i in z[f"ids_{m}"]] for m in MODELS},
            "extra": (z["extra_raw"], z["extra_g"], z["extra_y"]),
        }
    encoders = load_encoders()
    rows = {m: [r for r in xstest_rows(root, m) if in_training_split(r["id"])] for m in MODELS}
    raw = {
        m: featurize(encoders, [(r["prompt"], r["completion"]) for r in rows[m]]) for m in MODELS
    }
    feats: dict[str, Any] = {
        "raw": raw,
        "gates": {m: gate_features(raw[m][:, :S], [r["completion"] for r in rows[m]]) for m in MODELS},
        "truth": {m: np.array([r["final_label"] != "1_full_compliance" for r in rows[m]]) for m in MODELS},
        "ids": {m: [r["id"] for r in rows[m]] for m in MODELS},
        "extra": extra_rows(encoders, advbench_rows(root)),
    }  # fmt: skip
    if cache is not None:
        arrays: dict[str, Any] = {f"{k}_{m}": np.asarray(feats[k][m]) for k in ("raw", "gates", "truth", "ids") for m in MODELS}  # fmt: skip
        arrays.update(zip(("extra_raw", "extra_g", "extra_y"), feats["extra"], strict=True))
        np.savez(cache, **arrays)
    return feats


def artifacts(root: Path, cache: Path | None) -> tuple[Any, Any]:
    """Return the (raw, gate) features of JailbreakBench's jailbroken attack artifacts that are
    not in its judge-comparison file (`train_refusal_clf.jailbroken_artifacts`), read from
    `cache`'s "-artifacts" sibling when it holds them."""
    store = None if cache is None else cache.with_name(cache.stem + "-artifacts.npz")
    if store is not None and store.exists():
        z = np.load(store)
        return z["raw"], z["gates"]
    art = jailbroken_artifacts(root)
    raw = featurize(load_encoders(), art)
    gates = gate_features(raw[:, :S], [r for _, r in art])
    if store is not None:
        np.savez(store, raw=raw, gates=gates)
    return raw, gates


def trained(feats: dict[str, Any], fit_on: list[str], l2: float) -> tuple[Any, Any, Any, Any]:
    """Return (model, gate, shift, scale) trained at `l2` as the weights are, on the `fit_on`
    files' rows and the extra rows, model states standardised over the `fit_on` files' rows."""
    raw, gates, truth = feats["raw"], feats["gates"], feats["truth"]
    extra_raw, extra_g, extra_y = feats["extra"]
    stack = np.vstack([raw[m] for m in fit_on])
    shift, scale = scaling(stack, np.ones(len(stack), dtype=bool))
    x = np.vstack([(raw[m] - shift) / scale for m in fit_on] + [(extra_raw - shift) / scale])
    g = np.vstack([gates[m] for m in fit_on] + [extra_g])
    y = np.concatenate([truth[m].astype(float) for m in fit_on] + [extra_y])
    return fit(x, y, l2), fit(g, y, l2), shift, scale


def misread_jailbreaks(feats: dict[str, Any], art: tuple[Any, Any], l2: float) -> int:
    """Return how many of the artifacts (all jailbroken) the cascade reads as refusals when
    trained as the weights are (every file's training-half rows and the extra rows) at `l2`."""
    model, gate, shift, scale = trained(feats, list(MODELS), l2)
    pred, _ = cascade(model, gate, (art[0] - shift) / scale, art[1], MARGIN)
    return int(pred.sum())


def transfer(feats: dict[str, Any], fit_on: list[str], test_on: str, l2: float) -> float:
    """Return the cascade's accuracy on file `test_on`'s rows when trained on the `fit_on`
    files' rows (`trained`)."""
    model, gate, shift, scale = trained(feats, fit_on, l2)
    x = (feats["raw"][test_on] - shift) / scale
    pred, _ = cascade(model, gate, x, feats["gates"][test_on], MARGIN)
    return float((pred == feats["truth"][test_on]).mean())


def inner_cv(feats: dict[str, Any], l2: float) -> float:
    """Return the cascade's mean accuracy (margin MARGIN) under `train_refusal_clf`'s grouped
    5-fold CV over the three files' rows mixed, INNER_SEEDS fold assignments."""
    raw_all = np.vstack([feats["raw"][m] for m in MODELS])
    shift, scale = scaling(raw_all, np.ones(len(raw_all), dtype=bool))
    x, g = (raw_all - shift) / scale, np.vstack([feats["gates"][m] for m in MODELS])
    y = np.concatenate([feats["truth"][m].astype(float) for m in MODELS])
    ids = [i for m in MODELS for i in feats["ids"][m]]
    extra_raw, extra_g, extra_y = feats["extra"]
    own = ((extra_raw - shift) / scale, extra_g, extra_y)
    scores = inner_cv_scores(x, g, y, ids, own, l2=l2, seeds=INNER_SEEDS, margins=(MARGIN,))
    return float(np.mean([a for a, _ in scores["cascade"][MARGIN]]))


def pick(results: dict[float, tuple[float, float, int]], *, jailbreaks: bool) -> float:
    """Return the L2 the rule picks from {l2: (inner-CV accuracy, worst-file cross-model,
    jailbroken artifacts read as refusals)}; with `jailbreaks`, only among the candidates that
    misread no more artifacts than v3's L2 (1e-3)."""
    best_inner = max(inner for inner, _, _ in results.values())
    allowed = [
        l2
        for l2, (inner, _, misread) in results.items()
        if inner >= best_inner - INNER_SLACK - 1e-12
        and (not jailbreaks or misread <= results[V3_L2][2])
    ]
    return max(allowed, key=lambda l2: (results[l2][1], l2))


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir", default=None)
    ap.add_argument("--cache", type=Path, default=None, help="npz file for the features")
    ap.add_argument(
        "--jailbreaks",
        action="store_true",
        help="also count jailbroken JBB artifacts read as refusals, and apply the second rule",
    )
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    feats = training_half(root, args.cache)
    art = artifacts(root, args.cache) if args.jailbreaks else None
    sizes = ", ".join(f"{m} {len(feats['ids'][m])}" for m in MODELS)
    print(f"training-half rows: {sizes}")
    results: dict[float, tuple[float, float, int]] = {}
    for l2 in L2S:
        across = {m: transfer(feats, [k for k in MODELS if k != m], m, l2) for m in MODELS}
        inner = inner_cv(feats, l2)
        misread = -1 if art is None else misread_jailbreaks(feats, art, l2)
        results[l2] = (inner, min(across.values()), misread)
        shown = "  ".join(f"{m} {a:.1%}" for m, a in across.items())
        jail = "" if art is None else f" | jailbroken read as refusal {misread}/{len(art[0])}"
        print(
            f"L2 {l2:g}: inner CV {inner:.2%} | cross-model {shown}"
            f" | worst {min(across.values()):.1%}{jail}",
            flush=True,
        )
    print(f"the first rule picks L2 {pick(results, jailbreaks=False):g}")
    if art is not None:
        print(
            f"the second rule (no more jailbreaks misread than v3) picks L2 {pick(results, jailbreaks=True):g}"
        )


if __name__ == "__main__":
    main()
