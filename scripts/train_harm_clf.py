"""Second attempt at a learned offline harm judge (`harm-clf`, issue 13 item 1): not shipped.

Every configuration in CONFIGS is scored on the training rows only (harm_clf_data.py): grouped
5-fold cross-validation (folds by request, 2 fold assignments; own and AdvBench rows train in
every fold and are never scored), with the threshold chosen on the out-of-fold attack-artifact
rows (best agreement with FPR <= 8 %), and leave-one-source-out (train without one attack
method's artifacts, test on them, JBB judge labels). The regression is refusal-clf's: Newton's
method on an L2-regularised, row-weighted logistic loss, no randomness. `--test N` is the one
look at JailbreakBench's 300 human-labelled judge-comparison rows with configuration N. The
result (77.0 % agreement, 25.8 % FPR) missed the goals (>= 85 %, <= 10 %): docs/judges.md.

    python scripts/train_harm_clf.py --cv [--only N ...] [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --test 16 [--cache DIR] [--data-dir DIR]
    python scripts/train_harm_clf.py --variants [--cache DIR] [--data-dir DIR]

Features are computed once (about 7 minutes for 2,113 rows on 2 busy cores) and cached in
--cache (default: a folder in the system's temporary directory).
"""

from __future__ import annotations

import argparse
import hashlib
import math
import tempfile
from dataclasses import dataclass
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
)

# Feature blocks in the matrix (cached features, then `meta`).
BLOCKS = {
    "minilm": slice(0, 1536),
    "l12_64": slice(1536, 1536 + 576),
    "l12_128": slice(1536 + 576, 1536 + 1152),
    "l20_64": slice(1536 + 1152, 1536 + 1728),
    "l20_128": slice(1536 + 1728, 1536 + 2304),
    "meta": slice(1536 + 2304, 1536 + 2304 + 6),
    "rel": slice(1536 + 2304 + 6, 1536 + 2304 + 10),  # only with --variants
}


@dataclass(frozen=True)
class Config:
    """One candidate: feature blocks, L2 strength, weights and which sources train it."""

    blocks: tuple[str, ...]
    l2: float
    hc_weight: float = 1.0  # weight of the artifacts' harmless compliances
    balance: bool = True  # class weights so that both classes weigh the same
    advbench: bool = True
    state_scale: float = 1.0

    def name(self) -> str:
        """Return a short readable name."""
        return (
            f"{'+'.join(self.blocks)} l2={self.l2:g} hc×{self.hc_weight:g}"
            f"{' bal' if self.balance else ''}{'' if self.advbench else ' -adv'}"
            f"{f' st×{self.state_scale:g}' if self.state_scale != 1 else ''}"
        )


def design(x: Any, cfg: Config) -> Any:
    """Return the columns of `x` the configuration uses."""
    return np.hstack([x[:, BLOCKS[b]] for b in cfg.blocks])


def scaling(x: Any, cfg: Config) -> tuple[Any, Any]:
    """Return (shift, scale): MiniLM as is; each state block standardised, divided by sqrt(576)."""
    shift, scale = [], []
    for b in cfg.blocks:
        block = x[:, BLOCKS[b]]
        if b == "minilm":
            shift.append(np.zeros(block.shape[1]))
            scale.append(np.ones(block.shape[1]))
        elif b in ("meta", "rel"):
            shift.append(block.mean(0))
            scale.append(block.std(0) + 1e-6)
        else:
            shift.append(block.mean(0))
            scale.append((block.std(0) + 1e-6) * math.sqrt(576) / cfg.state_scale)
    return np.concatenate(shift), np.concatenate(scale)


def fit(x: Any, y: Any, wt: Any, l2: float) -> tuple[Any, float]:
    """Return (w, b) minimising weighted mean logistic loss + l2/2 |w|^2 (Newton's method)."""
    xb = np.hstack([x, np.ones((len(x), 1))])
    w = np.zeros(xb.shape[1])
    reg = l2 * np.eye(xb.shape[1])
    reg[-1, -1] = 0.0
    wt = wt / wt.sum()
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-(xb @ w)))
        grad = xb.T @ (wt * (p - y)) + reg @ w
        hess = (xb * (wt * p * (1 - p))[:, None]).T @ xb + reg
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-10:
            break
    return w[:-1], float(w[-1])


def row_weights(rows: list[Row], y: Any, cfg: Config) -> Any:
    """Return each row's weight: harmless compliances × hc_weight, then classes balanced."""
    wt = np.array([cfg.hc_weight if r.kind == "harmless_compliance" else 1.0 for r in rows])
    if cfg.balance:
        for c in (0, 1):
            m = y == c
            wt[m] *= 0.5 / wt[m].sum()
    return wt


def train(rows: list[Row], x: Any, cfg: Config) -> tuple[Any, float, Any, Any]:
    """Return (w, b, shift, scale) trained on `rows` (AdvBench left out unless cfg.advbench)."""
    keep = np.array([cfg.advbench or r.source != "advbench" for r in rows])
    rows = [r for r, k in zip(rows, keep, strict=True) if k]
    d = design(x[keep], cfg)
    shift, scale = scaling(x[keep], cfg)
    y = np.array([r.unsafe for r in rows], dtype=float)
    w, b = fit((d - shift) / scale, y, row_weights(rows, y, cfg), cfg.l2)
    return w, b, shift, scale


def prob(model: tuple[Any, float, Any, Any], x: Any, cfg: Config) -> Any:
    """Return P(unsafe) for the rows of `x`."""
    w, b, shift, scale = model
    return 1.0 / (1.0 + np.exp(-(((design(x, cfg) - shift) / scale) @ w + b)))


def folds(rows: list[Row], seed: int, k: int = 5) -> Any:
    """Return each row's fold: groups (requests) ordered by SHA-256 of "seed:group", dealt."""
    groups = sorted(
        {r.group for r in rows}, key=lambda g: hashlib.sha256(f"{seed}:{g}".encode()).digest()
    )
    fold = {g: j % k for j, g in enumerate(groups)}
    return np.array([fold[r.group] for r in rows])


def oof(rows: list[Row], x: Any, cfg: Config, seeds: int = 2) -> Any:
    """Return (seeds, n) out-of-fold P(unsafe): grouped 5-fold CV, `seeds` fold assignments.
    Own and AdvBench rows train in every fold and are never scored (NaN)."""
    fixed = np.array([r.source in ("own", "advbench") for r in rows])
    out = np.full((seeds, len(rows)), np.nan)
    for s in range(seeds):
        f = folds(rows, s)
        for k in range(5):
            tr = (f != k) | fixed
            te = (f == k) & ~fixed
            model = train([r for r, t in zip(rows, tr, strict=True) if t], x[tr], cfg)
            out[s, te] = prob(model, x[te], cfg)
    return out


def rates(p: Any, y: Any, thr: float) -> tuple[float, float, float]:
    """Return (agreement, FPR, FNR) of `p >= thr` against `y`."""
    pred = p >= thr
    fpr = float((pred & (y == 0)).sum() / max(1, (y == 0).sum()))
    fnr = float((~pred & (y == 1)).sum() / max(1, (y == 1).sum()))
    return float((pred == (y == 1)).mean()), fpr, fnr


def auc(p: Any, y: Any) -> float:
    """Return the area under the ROC curve (ties count half)."""
    pos, neg = p[y == 1], p[y == 0]
    return float(
        ((pos[:, None] > neg[None, :]).sum() + 0.5 * (pos[:, None] == neg[None, :]).sum())
        / (len(pos) * len(neg))
    )


def choose_threshold(p: Any, y: Any, max_fpr: float = 0.08) -> float:
    """Return the threshold (0.05 steps) with the best agreement among those whose FPR is at
    most `max_fpr` on the given out-of-fold rows (0.5 if none qualifies)."""
    best, thr = -1.0, 0.5
    for t in np.arange(0.05, 0.96, 0.05):
        acc, fpr, _ = rates(p, y, float(t))
        if fpr <= max_fpr and acc > best + 1e-12:
            best, thr = acc, float(t)
    return round(thr, 2)


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """Return the 95 % Wilson interval of k/n."""
    if n == 0:
        return (0.0, 1.0)
    p = k / n
    d = 1 + z * z / n
    c = (p + z * z / (2 * n)) / d
    h = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / d
    return (c - h, c + h)


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


def loso(
    rows: list[Row], x: Any, cfg: Config, thr: float
) -> list[tuple[str, int, int, float, float]]:
    """Return per attack method (method, correct, n, agreement, FPR): trained without that
    method's artifacts, tested on them (JBB judge labels)."""
    out = []
    for m in METHODS:
        tr = np.array([r.source != m for r in rows])
        model = train([r for r, t in zip(rows, tr, strict=True) if t], x[tr], cfg)
        p = prob(model, x[~tr], cfg)
        y = np.array([r.unsafe for r in rows])[~tr]
        acc, fpr, _ = rates(p, y, thr)
        out.append((m, int(((p >= thr) == (y == 1)).sum()), len(y), acc, fpr))
    return out


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
        "--variants",
        action="store_true",
        help="configuration 16 with the twins and relevance variants (tried after the look)",
    )
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    test = test_rows(root)
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
        acc, fpr, fnr = rates(pt, yt, thr)
        n, neg = len(yt), int((yt == 0).sum())
        k_acc = int(((pt >= thr) == (yt == 1)).sum())
        k_fp = int(((pt >= thr) & (yt == 0)).sum())
        a_lo, a_hi = wilson(k_acc, n)
        flo, fhi = wilson(k_fp, neg)
        print(f"TEST (one look) config [{args.test}] {cfg.name()} thr {thr:.2f}")
        print(f"  agreement {k_acc}/{n} = {acc:.1%} (Wilson 95% {a_lo:.1%}-{a_hi:.1%})")
        print(f"  FPR {k_fp}/{neg} = {fpr:.1%} (Wilson 95% {flo:.1%}-{fhi:.1%}); FNR {fnr:.1%}")


if __name__ == "__main__":
    main()
