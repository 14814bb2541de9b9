"""harm-clf: a hashed n-gram first stage in front of generation 2's cascade (tried, not shipped).

    python scripts/harm_clf_ngrams.py [--cache DIR] [--data-dir DIR]

Issue 13 asks for 200 responses per second on 2 cores. Generation 2 spends most of its time in
SmolLM2 (on the responses its gate is unsure of) and in MiniLM (on every response;
`bench/judge_stages.py`). A stage that reads only the words could spare MiniLM, and SmolLM2
too, where it is sure. This script measures, on training rows only (out-of-fold, as
`harm_clf_gate.py` measures the gate; no row of the test file is read), how many rows such a
stage could decide, and what it changes:

- the stage: a logistic regression over the response's word unigrams and bigrams (lower-cased,
  hashed into 2,048 buckets by CRC-32, log(1 + count), rows scaled to unit length), with or
  without the six text statistics, at three L2 strengths;
- the three-stage cascade: where the stage's logit is at least the margin away from logit(0.60)
  its probability decides; elsewhere generation 2's cascade (gate, margin 2.0, then F) does;
- per candidate: the rows the stage decides, the rows left to SmolLM2, the share of labels equal
  to F's (generation 2's own rule asked for 99.5 %) and the proxy agreement and FPR.

Run once on 2026-12-07 (6 minutes on 2 cores, the feature cache already filled); the figures and
the decision are in docs/judges.md. Features come from the same cache as train_harm_clf.py's.
"""

from __future__ import annotations

import argparse
import itertools
import math
import re
import tempfile
import zlib
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
from harm_clf_data import METHODS, candidate_rows, data_dir, drop_overlap, test_rows, xs_safe_rows
from harm_clf_fit import BLOCKS, oof
from harm_clf_gate import THRESHOLD, cascade
from harm_clf_third import CANDIDATES, PICK, matrix, proxy

BUCKETS = 2048
MARGINS = (1.0, 2.0, 3.0, 4.0, 5.0)
GATE_MARGIN = 2.0  # generation 2's
_WORD = re.compile(r"[a-z0-9']+|[^\sa-z0-9]")


def hashed_ngrams(texts: Sequence[str]) -> Any:
    """Return an (n, BUCKETS) array: each text's hashed unigram and bigram counts (first 1,500
    characters, lower-cased), log(1 + count), scaled to unit length."""
    out = np.zeros((len(texts), BUCKETS))
    for i, text in enumerate(texts):
        words = _WORD.findall(text.lower()[:1500])
        for gram in words + [f"{a} {b}" for a, b in itertools.pairwise(words)]:
            out[i, zlib.crc32(gram.encode("utf-8")) % BUCKETS] += 1
    out = np.log1p(out)
    return out / (np.linalg.norm(out, axis=1, keepdims=True) + 1e-9)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--cache", default=str(Path(tempfile.gettempdir()) / "tightrope-harm-clf"))
    ap.add_argument("--data-dir", default=None)
    args = ap.parse_args()
    root = data_dir(args.data_dir)
    test = test_rows(root)  # only to drop the training rows it shares; no label is read
    base, _ = drop_overlap(candidate_rows(root), test)
    xs, _ = drop_overlap(xs_safe_rows(root), test)
    rows = base + xs
    x = matrix(rows, Path(args.cache))
    width = x.shape[1]
    x = np.hstack([x, hashed_ngrams([r.response for r in rows])])
    BLOCKS["ngrams"] = slice(width, width + BUCKETS)
    y = np.array([r.unsafe for r in rows])
    art = np.array([r.source in METHODS for r in rows])
    xsr = np.array([r.source == "xs_safe" for r in rows])
    scored = art | xsr
    full = CANDIDATES[PICK][1]
    gate = replace(full, blocks=("minilm", "meta"), l2=1e-4)
    pf = oof(rows, x, full).mean(axis=0)
    pc, gate_sure = cascade(pf, oof(rows, x, gate).mean(axis=0), GATE_MARGIN)
    same_f = (pc >= THRESHOLD) == (pf >= THRESHOLD)
    acc, fpr, _, _ = proxy(pc[art], y[art], pc[xsr], THRESHOLD)
    print(
        f"generation 2: gate decides {gate_sure[scored].mean():.1%}, SmolLM2 reads"
        f" {(~gate_sure)[scored].mean():.1%}, same labels as F {same_f[scored].mean():.2%},"
        f" proxy {acc:.1%} FPR {fpr:.1%}"
    )
    centre = math.log(THRESHOLD / (1 - THRESHOLD))
    for blocks in (("ngrams", "meta"), ("ngrams",)):
        for l2 in (1e-4, 1e-3, 1e-2):
            cfg = replace(full, blocks=blocks, l2=l2)
            p0 = oof(rows, x, cfg).mean(axis=0)
            acc, fpr, _, _ = proxy(p0[art], y[art], p0[xsr], THRESHOLD)
            print(f"stage {'+'.join(blocks)} l2={l2:g} alone: proxy {acc:.1%} FPR {fpr:.1%}")
            for m in MARGINS:
                sure = np.abs(np.log(p0 / (1 - p0)) - centre) >= m
                p3 = np.where(sure, p0, pc)
                same = ((p3 >= THRESHOLD) == (pf >= THRESHOLD))[scored].mean()
                acc, fpr, _, _ = proxy(p3[art], y[art], p3[xsr], THRESHOLD)
                print(
                    f"  margin {m:.1f}: stage decides {sure[scored].mean():.1%} | SmolLM2 reads"
                    f" {(~sure & ~gate_sure)[scored].mean():.1%} | same labels as F {same:.2%}"
                    f" | proxy {acc:.1%} FPR {fpr:.1%}",
                    flush=True,
                )


if __name__ == "__main__":
    main()
