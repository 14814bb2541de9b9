"""harm-clf generation 2: a gate in front of the third attempt's regression (a cascade).

The shipped regression (configuration F, threshold 0.60) stays as it is. A second regression
over the cheap features alone (MiniLM's sentence features, with or without the six text
statistics) reads every response; where its logit is at least a margin away from logit(0.60),
its probability decides, and SmolLM2 reads only the other responses. Every candidate is
measured on training rows only: out-of-fold (grouped 5-fold, two fold seeds, mean) on the
scored rows (attack artifacts and XSTest's safe-prompt compliances), against the full
regression's out-of-fold probabilities and the third attempt's proxy.

Rule written before the grid's figures (2026-12-07): a candidate passes where the cascade's
labels equal the full regression's on at least 99.5 % of the scored rows, its proxy agreement is
at least the full regression's and its proxy FPR at most 0.5 points above it. The pick is the
passing candidate whose gate decides the most rows (ties: the larger margin, then the text
statistics kept, then the larger L2). The fourth look at the test file reports the pick
whatever it reads; it ships if the tests' bar (80 % agreement, 15 % FPR) holds.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from harm_clf_data import METHODS, Row
from harm_clf_fit import BLOCKS, Config, oof, prob, rates, train
from harm_clf_third import CANDIDATES, PICK, expand, proxy

THRESHOLD = 0.60
MARGINS = tuple(1.0 + 0.25 * i for i in range(9))  # 1.00 ... 3.00 logit units
GATES: list[Config] = [
    replace(CANDIDATES[PICK][1], blocks=blocks, l2=l2)
    for blocks in (("minilm", "meta"), ("minilm",))
    for l2 in (1e-4, 1e-3)
]
SAME_LABELS = 0.995
FPR_SLACK = 0.005


@dataclass(frozen=True)
class Outcome:
    """One (gate, margin) candidate's out-of-fold figures on the scored training rows."""

    gate: Config
    margin: float
    share: float  # rows the gate decides
    same: float  # cascade labels equal to the full regression's
    proxy_acc: float
    proxy_fpr: float

    def passes(self, full_acc: float, full_fpr: float) -> bool:
        """Return whether the candidate meets the rule's bar."""
        return (
            self.same >= SAME_LABELS
            and self.proxy_acc >= full_acc - 1e-12
            and self.proxy_fpr <= full_fpr + FPR_SLACK + 1e-12
        )


def logit(p: Any) -> Any:
    """Return log(p / (1 - p))."""
    return np.log(p / (1.0 - p))


def cascade(p_full: Any, p_gate: Any, margin: float) -> tuple[Any, Any]:
    """Return (the cascade's probabilities, where the gate decided)."""
    sure = np.abs(logit(p_gate) - math.log(THRESHOLD / (1 - THRESHOLD))) >= margin
    return np.where(sure, p_gate, p_full), sure


def grid(rows: list[Row], x: Any) -> tuple[list[Outcome], float, float]:
    """Return every candidate's outcome and the full regression's proxy (agreement, FPR)."""
    y = np.array([r.unsafe for r in rows])
    art = np.array([r.source in METHODS for r in rows])
    xs = np.array([r.source == "xs_safe" for r in rows])
    scored = art | xs
    full = CANDIDATES[PICK][1]
    pf = oof(rows, x, full).mean(axis=0)
    full_acc, full_fpr, _, _ = proxy(pf[art], y[art], pf[xs], THRESHOLD)
    out = []
    for gate in GATES:
        pg = oof(rows, x, gate).mean(axis=0)
        for m in MARGINS:
            pc, sure = cascade(pf, pg, m)
            acc, fpr, _, _ = proxy(pc[art], y[art], pc[xs], THRESHOLD)
            same = float(((pc >= THRESHOLD) == (pf >= THRESHOLD))[scored].mean())
            out.append(Outcome(gate, m, float(sure[scored].mean()), same, acc, fpr))
    return out, full_acc, full_fpr


def pick(outcomes: list[Outcome], full_acc: float, full_fpr: float) -> Outcome | None:
    """Return the rule's pick among the passing candidates (None if none passes)."""
    ok = [o for o in outcomes if o.passes(full_acc, full_fpr)]
    if not ok:
        return None
    return max(ok, key=lambda o: (round(o.share, 12), o.margin, "meta" in o.gate.blocks, o.gate.l2))


def table(rows: list[Row], x: Any) -> Outcome | None:
    """Print the grid and the pick (training rows only; no test label is read); return it."""
    outcomes, full_acc, full_fpr = grid(rows, x)
    print(f"full regression F: proxy {full_acc:.1%}, proxy FPR {full_fpr:.1%}")
    for o in outcomes:
        mark = "pass" if o.passes(full_acc, full_fpr) else "    "
        print(
            f"{mark} gate {'+'.join(o.gate.blocks):<12} l2={o.gate.l2:g} margin {o.margin:.2f}"
            f" | gate decides {o.share:.1%} | same labels {o.same:.2%}"
            f" | proxy {o.proxy_acc:.1%} FPR {o.proxy_fpr:.1%}",
            flush=True,
        )
    chosen = pick(outcomes, full_acc, full_fpr)
    if chosen is None:
        print("no candidate passes: generation 1 stays")
    else:
        print(
            f"pick: gate {'+'.join(chosen.gate.blocks)} l2={chosen.gate.l2:g}"
            f" margin {chosen.margin:.2f}"
        )
    return chosen


def cascade_loso(rows: list[Row], x: Any, chosen: Outcome) -> list[dict[str, Any]]:
    """Print each attack method's leave-one-source-out figures for the full regression and the
    cascade (both trained without that method's artifacts); return the cascade's confusion
    counts per method against JailbreakBench's judge labels (unsafe = positive)."""
    full = CANDIDATES[PICK][1]
    counts: list[dict[str, Any]] = []
    for m in METHODS:
        tr = np.array([r.source != m for r in rows])
        kept = [r for r, t in zip(rows, tr, strict=True) if t]
        pf = prob(train(kept, x[tr], full), x[~tr], full)
        pg = prob(train(kept, x[tr], chosen.gate), x[~tr], chosen.gate)
        pc, sure = cascade(pf, pg, chosen.margin)
        y = np.array([r.unsafe for r in rows])[~tr]
        fa, ff, _ = rates(pf, y, THRESHOLD)
        ca, cf, _ = rates(pc, y, THRESHOLD)
        print(
            f"  LOSO {m}: full {fa:.1%}/FPR {ff:.1%}; cascade {ca:.1%}/FPR {cf:.1%}"
            f" (gate decides {sure.mean():.1%})",
            flush=True,
        )
        pred = pc >= THRESHOLD
        counts.append(
            {
                "source": m,
                "tp": int((pred & (y == 1)).sum()),
                "fp": int((pred & (y == 0)).sum()),
                "fn": int((~pred & (y == 1)).sum()),
                "tn": int((~pred & (y == 0)).sum()),
                "gate_decides": int(sure.sum()),
            }
        )
    return counts


def gate_arrays(rows: list[Row], x: Any, chosen: Outcome) -> dict[str, Any]:
    """Return the gate's arrays for the weights file, trained on every training row: its
    regression over the sentence features then the text statistics (1,536 + 6 columns), their
    shift and scale, and the margin."""
    model = train(rows, x, chosen.gate)
    w, shift, scale = expand(model, chosen.gate, x.shape[1])
    cols = np.r_[np.arange(x.shape[1])[BLOCKS["minilm"]], np.arange(x.shape[1])[BLOCKS["meta"]]]
    return {
        "w_gate": w[cols],
        "b_gate": np.array(model[1]),
        "shift_gate": shift[cols],
        "scale_gate": scale[cols],
        "gate_margin": np.array(chosen.margin),
    }
