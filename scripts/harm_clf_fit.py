"""The regression and its scoring for harm-clf's training (scripts/train_harm_clf.py).

refusal-clf's regression: Newton's method on an L2-regularised, row-weighted logistic loss, no
randomness; grouped cross-validation, rates, AUC, the threshold rule and Wilson intervals.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from harm_clf_data import METHODS, Row

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
