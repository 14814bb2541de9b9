"""Training harm-clf, the learned offline harm judge (issue 13 item 1), and every attempt at it.

Every configuration in CONFIGS (the second attempt) is scored on the training rows only
(harm_clf_data.py): grouped 5-fold cross-validation (folds by request, 2 fold assignments; own
and AdvBench rows train in every fold and are never scored), with the threshold chosen on the
out-of-fold attack-artifact rows (best agreement with FPR <= 8 %), and leave-one-source-out
(train without one attack method's artifacts, test on them, JBB judge labels). The regression is
refusal-clf's (harm_clf_fit.py). `--test N` was the second attempt's look at JailbreakBench's 300
human-labelled judge-comparison rows (configuration 16: 77.0 % agreement, 25.8 % FPR). The third
attempt (harm_clf_third.py) adds XSTest's compliances to its safe prompts; `--third` prints its
proxy table, `--test-third` is the third look (85.0 %, 14.7 % FPR) and `--write` writes the
shipped weights. docs/judges.md has every figure and every look.

    python scripts/train_harm_clf.py --cv [--only N ...] [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --test 16 [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --variants [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --third [--test-third] [--write] [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --gate [--loso-json FILE] [--test-gate] [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --composition [--data-dir DIR]

Features are computed once (about 7 minutes for 2,113 rows on 2 busy cores, 2 more for the
safe-prompt compliances) and cached in --cache (default: a folder in the system's temporary
directory).
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from harm_clf_data import (
    METHODS,
    Row,
    candidate_rows,
    data_dir,
    drop_overlap,
    features,
    meta,
    relevance,
    test_rows,
    twin_rows,
    xs_safe_rows,
)
from harm_clf_fit import (
    Config,
    auc,
    choose_threshold,
    loso,
    oof,
    prob,
    rates,
    train,
    wilson,
)

from tightrope.judges.harm_clf import WEIGHTS

CONFIGS = [
    Config(("minilm",), 1e-3),
    Config(("l20_64",), 3e-2),
    Config(("minilm", "l20_64"), 1e-3),
    Config(("minilm", "l20_128"), 1e-3),
    Config(("minilm", "l12_128"), 1e-3),
    Config(("minilm", "l12_128", "l20_128"), 1e-3),
    Config(("minilm", "l20_128"), 1e-2),
    Config(("minilm", "l20_128"), 1e-4),
    Config(("minilm", "l20_128"), 1e-3, hc_weight=3.0),
    Config(("minilm", "l20_128"), 1e-3, balance=False),
    Config(("minilm", "l20_128"), 1e-3, advbench=False),
    Config(("minilm", "l20_128"), 1e-3, state_scale=2.0),
    Config(("minilm", "l20_128", "meta"), 1e-3),
    Config(("minilm", "l20_128", "meta"), 1e-3, hc_weight=3.0),
    Config(("minilm", "l12_128", "l20_128", "meta"), 1e-3, hc_weight=3.0),
    Config(("minilm", "l12_128", "l20_128", "meta"), 1e-4),
    Config(("minilm", "l12_64", "l12_128", "l20_64", "l20_128", "meta"), 1e-4),
    Config(("minilm", "l12_128", "l20_128"), 1e-3, hc_weight=3.0),
    Config(("minilm", "l12_128", "l20_128"), 1e-4),
]


def cv_line(label: str, rows: list[Row], x: Any, cfg: Config) -> None:
    """Print one configuration's CV and LOSO figures, as --cv does, labelled `label`."""
    y = np.array([r.unsafe for r in rows])
    scored = np.array([r.source not in ("own", "advbench") for r in rows])
    art = np.array([r.source in METHODS for r in rows])
    hc = np.array([r.kind == "harmless_compliance" for r in rows])
    pm = oof(rows, x, cfg).mean(axis=0)  # NaN on own / AdvBench rows, never read
    thr = choose_threshold(pm[art], y[art])
    a_all = rates(pm[scored], y[scored], thr)
    a_art = rates(pm[art], y[art], thr)
    lo_s = " ".join(f"{m[:4]} {a:.1%}/{f:.1%}" for m, _, _, a, f in loso(rows, x, cfg, thr))
    print(
        f"{label:<44} thr {thr:.2f} | CV all {a_all[0]:.1%} FPR {a_all[1]:.1%}"
        f" | CV artifacts {a_art[0]:.1%} FPR {a_art[1]:.1%} FNR {a_art[2]:.1%}"
        f" | harmless-compl. flagged {float((pm[hc] >= thr).mean()):.1%}"
        f" | AUC art {auc(pm[art], y[art]):.3f} | LOSO acc/FPR {lo_s}",
        flush=True,
    )


def variants(root: Path, test: list[Row], cache: Path) -> None:
    """Print configuration 16 alone, with the twin rows, with the relevance features, and with
    both (docs/judges.md: tried after the look, on training rows only, dropped)."""
    rows, counts = drop_overlap(candidate_rows(root) + twin_rows(root), test)
    print("overlap filter with the twins:", counts)
    x = np.hstack([features(rows, cache), meta(rows)])
    x = np.hstack([x, relevance(rows, x)])
    plain = np.array([r.kind != "twin" for r in rows])
    base = CONFIGS[16]
    rel = Config((*base.blocks, "rel"), base.l2)
    for label, cfg, keep in (
        ("[16]", base, plain),
        ("[16] + twins", base, np.ones(len(rows), dtype=bool)),
        ("[16] + relevance", rel, plain),
        ("[16] + both", rel, np.ones(len(rows), dtype=bool)),
    ):
        cv_line(label, [r for r, k in zip(rows, keep, strict=True) if k], x[keep], cfg)


def third(
    root: Path,
    test: list[Row],
    base: list[Row],
    cache: Path,
    *,
    look: bool,
    gate: bool,
    look_gate: bool,
    write: bool,
    loso_json: Path | None = None,
) -> None:
    """The third attempt (harm_clf_third.py) and generation 2's gate (harm_clf_gate.py): the
    proxy table, the gate's grid, a look at the test file, or the shipped weights (the third
    attempt's regression and the gate, trained on every training row)."""
    from harm_clf_gate import cascade, cascade_loso, gate_arrays
    from harm_clf_gate import table as gate_table
    from harm_clf_third import expand, fit_pick, matrix, table

    xs, counts = drop_overlap(xs_safe_rows(root), test)
    print("overlap filter, XSTest safe-prompt compliances:", counts)
    if not (look or gate or look_gate or write):
        table(base, xs, cache)
        return
    rows = base + xs
    x = matrix(rows, cache)
    chosen = gate_table(rows, x) if gate or look_gate or write else None
    if chosen is not None and gate:
        loso = cascade_loso(rows, x, chosen)
        if loso_json is not None:
            write_loso(loso_json, loso, chosen)
    if not (look or look_gate or write):
        return
    model, cfg, thr = fit_pick(base, xs, cache)
    yt = np.array([r.unsafe for r in test])
    if look:
        pt = prob(model, matrix(test, cache), cfg)
        report_look("THIRD LOOK (F)", pt, yt, thr)
    if look_gate and chosen is not None:
        xt = matrix(test, cache)
        pg = prob(train(rows, x, chosen.gate), xt, chosen.gate)
        pc, sure = cascade(prob(model, xt, cfg), pg, chosen.margin)
        report_look(f"FOURTH LOOK (F behind the gate; it decides {sure.mean():.1%})", pc, yt, thr)
    if write:
        w, shift, scale = expand(model, cfg, x.shape[1])
        arrays = gate_arrays(rows, x, chosen) if chosen is not None else {}
        np.savez(
            WEIGHTS,
            w=w,
            b=np.array(model[1]),
            shift=shift,
            scale=scale,
            threshold=np.array(thr),
            **arrays,
        )
        print(f"wrote {WEIGHTS}")


def write_loso(path: Path, counts: list[dict[str, Any]], chosen: Any) -> None:
    """Write the cascade's leave-one-source-out counts as JSON (`scripts/lomo_card.py` puts
    them into harm-clf's card)."""
    from harm_clf_gate import THRESHOLD as GATE_THRESHOLD

    doc = {
        "what": "harm-clf leave-one-source-out confusion counts (scripts/train_harm_clf.py --gate)",
        "data": "shared/data (the pinned benchmark files; see its SHA256SUMS)",
        "truth": "JailbreakBench's Llama-3-70B judge (the artifacts' `jailbroken`), not humans",
        "recipe": (
            f"F at {GATE_THRESHOLD:.2f} behind the gate ({'+'.join(chosen.gate.blocks)},"
            f" l2={chosen.gate.l2:g}, margin {chosen.margin:.2f}), both trained without the"
            " left-out attack method's artifacts"
        ),
        "sources": counts,
    }
    path.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {path}")


def report_look(title: str, pt: Any, yt: Any, thr: float) -> None:
    """Print agreement and FPR (Wilson 95 %), FNR and AUC of `pt >= thr` against `yt`."""
    acc, fpr, fnr = rates(pt, yt, thr)
    n, neg = len(yt), int((yt == 0).sum())
    k_acc = int(((pt >= thr) == (yt == 1)).sum())
    k_fp = int(((pt >= thr) & (yt == 0)).sum())
    a_lo, a_hi = wilson(k_acc, n)
    flo, fhi = wilson(k_fp, neg)
    print(f"{title} thr {thr:.2f}")
    print(f"  agreement {k_acc}/{n} = {acc:.1%} (Wilson 95% {a_lo:.1%}-{a_hi:.1%})")
    print(f"  FPR {k_fp}/{neg} = {fpr:.1%} (Wilson 95% {flo:.1%}-{fhi:.1%}); FNR {fnr:.1%}")
    print(f"  AUC {auc(pt, yt):.3f}")


def main() -> None:
    """Run the CV table and LOSO (--cv), or the one test look (--test N), or write weights."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--data-dir")
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "tightrope-harm-clf"))
    ap.add_argument("--cv", action="store_true")
    ap.add_argument("--only", type=int, nargs="*", help="config indices for --cv")
    ap.add_argument("--test", type=int, help="index of the chosen config: the one look")
    ap.add_argument("--features-only", action="store_true")
    ap.add_argument(
        "--third", action="store_true", help="the third attempt's proxy table (training rows)"
    )
    ap.add_argument(
        "--composition",
        action="store_true",
        help="what the test file's requests ask (no label is read)",
    )
    ap.add_argument(
        "--test-third", action="store_true", help="the third look: the pick on the test file"
    )
    ap.add_argument(
        "--gate", action="store_true", help="generation 2's gate grid and its LOSO (training rows)"
    )
    ap.add_argument(
        "--loso-json",
        default=None,
        help="with --gate: write the cascade's leave-one-source-out counts to this file",
    )
    ap.add_argument(
        "--test-gate", action="store_true", help="the fourth look: the cascade on the test file"
    )
    ap.add_argument("--write", action="store_true", help=f"write the pick's weights to {WEIGHTS}")
    ap.add_argument(
        "--variants",
        action="store_true",
        help="configuration 16 with the twins and relevance variants (tried after the look)",
    )
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    test = test_rows(root)
    if args.composition:
        from harm_clf_third import composition

        for label, n in composition(root, test).items():
            print(f"{n:4d}  {label}")
        return
    rows, counts = drop_overlap(candidate_rows(root), test)
    print("overlap filter:", counts)
    kinds: dict[str, int] = {}
    for r in rows:
        kinds[f"{r.source}/{r.kind}"] = kinds.get(f"{r.source}/{r.kind}", 0) + 1
    print("training rows:", dict(sorted(kinds.items())))
    x = np.hstack([features(rows, Path(args.cache)), meta(rows)])
    if args.features_only:
        features(test, Path(args.cache))  # features only; no label is read
        return
    if args.variants:
        variants(root, test, Path(args.cache))
        return
    if args.third or args.test_third or args.gate or args.test_gate or args.write:
        third(
            root,
            test,
            rows,
            Path(args.cache),
            look=args.test_third,
            gate=args.gate,
            look_gate=args.test_gate,
            write=args.write,
            loso_json=Path(args.loso_json) if args.loso_json else None,
        )
        return
    y = np.array([r.unsafe for r in rows])
    scored = np.array([r.source not in ("own", "advbench") for r in rows])
    art = np.array([r.source in METHODS for r in rows])
    if args.cv:
        for i, cfg in enumerate(CONFIGS):
            if args.only and i not in args.only:
                continue
            pm = oof(rows, x, cfg).mean(axis=0)  # NaN on own / AdvBench rows, never read
            thr = choose_threshold(pm[art], y[art])
            a_all = rates(pm[scored], y[scored], thr)
            a_art = rates(pm[art], y[art], thr)
            hc = np.array([r.kind == "harmless_compliance" for r in rows])
            hc_fp = float((pm[hc] >= thr).mean())
            lo = loso(rows, x, cfg, thr)
            lo_s = " ".join(f"{m[:4]} {a:.1%}/{f:.1%}" for m, _, _, a, f in lo)
            print(
                f"[{i}] {cfg.name():<42} thr {thr:.2f} | CV all {a_all[0]:.1%} FPR {a_all[1]:.1%}"
                f" | CV artifacts {a_art[0]:.1%} FPR {a_art[1]:.1%} FNR {a_art[2]:.1%}"
                f" | harmless-compl. flagged {hc_fp:.1%} | AUC art {auc(pm[art], y[art]):.3f}"
                f" acc@0.5 {rates(pm[art], y[art], 0.5)[0]:.1%} | LOSO acc/FPR {lo_s}",
                flush=True,
            )
    if args.test is not None:
        cfg = CONFIGS[args.test]
        pm = oof(rows, x, cfg).mean(axis=0)
        thr = choose_threshold(pm[art], y[art])
        model = train(rows, x, cfg)
        xt = np.hstack([features(test, Path(args.cache)), meta(test)])
        yt = np.array([r.unsafe for r in test])
        pt = prob(model, xt, cfg)
        report_look(f"TEST (one look) config [{args.test}] {cfg.name()}", pt, yt, thr)


if __name__ == "__main__":
    main()
