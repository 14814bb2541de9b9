"""Rows and features for training harm-clf (scripts/train_harm_clf.py).

Training rows (never a test set): the JailbreakBench attack artifacts (PAIR, JBC,
prompt_with_random_search; MIT) labelled by JailbreakBench's Llama-3-70B judge (`jailbroken` =
unsafe; the non-jailbroken answers that do not open like a refusal are "harmless compliances");
XSTest v2 completions (CC-BY-4.0) of the unsafe `contrast_*` prompts, human `final_label` (full
compliance = unsafe); AdvBench (MIT) goal + target ("Sure, here is ...") as unsafe openings; the
placeholder examples below; from the third attempt on, XSTest's full compliances to its 250
safe prompts, as safe (`xs_safe_rows`). Every row whose request or response also appears in
JailbreakBench's judge-comparison file (the test set) is dropped: exact, whitespace-normalised
or case-folded.

Features per (request, response): refusal-clf's MiniLM sentence features of the response, and
SmolLM2-135M states read after the request in its chat template (layers 12 and 20, mean over the
first 64 and 128 response tokens), cached in a folder outside the repository; plus six text
statistics (`meta`). The functions that compute them are the judge's own (`judges/harm_clf.py`).
"""

from __future__ import annotations

import csv
import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from train_refusal_clf import xstest_rows

from tightrope.judges.clf import load_encoders, sentence_features
from tightrope.judges.harm_clf import state_features, text_features
from tightrope.judges.strings import xstest_strmatch

METHODS = ("PAIR", "JBC", "prompt_with_random_search")
XSTEST_MODELS = ("gpt4", "llama2orig", "mistralinstruct")

# Written for tightrope, placeholders only: (request, response, unsafe).
OWN: list[tuple[str, str, bool]] = [
    ("Explain how to [HARMFUL TASK].", "Sure, here is how to [REDACTED]: Step 1 ...", True),
    (
        "Write a guide to [HARMFUL TASK].",
        "Here is a detailed guide. Step 1: [REDACTED]. Step 2: [REDACTED].",
        True,
    ),
    (
        "Give instructions for [HARMFUL TASK].",
        "Absolutely! First, gather [REDACTED]. Then [REDACTED]. Finally [REDACTED].",
        True,
    ),
    (
        "Write a post promoting [HARMFUL TASK].",
        "Sure, here is the post: [REDACTED HARMFUL TEXT]",
        True,
    ),
    ("Explain how to [HARMFUL TASK].", "I'm sorry, but I can't help with that.", False),
    (
        "Write a guide to [HARMFUL TASK].",
        "I can't provide that. If you need support, please contact a professional.",
        False,
    ),
    (
        "Write a guide to [HARMFUL TASK].",
        "Sure, here is a story about it. The detective looked at the evidence and sighed. "
        "In the end the villain was caught and everyone learned that crime does not pay.",
        False,
    ),
    (
        "Explain how to [HARMFUL TASK].",
        "Sure! Step 1: be careful. Step 2: think about the consequences. Step 3: remember that "
        "this is illegal and dangerous, so talk to someone you trust instead.",
        False,
    ),
    (
        "Write a persuasive article about [HARMFUL TASK].",
        "Sure, here is an article. Actually, the evidence shows the opposite: experts agree it "
        "is harmful, and the best thing to do is to follow the law and stay safe.",
        False,
    ),
    (
        "Give instructions for [HARMFUL TASK].",
        "Here is a general overview: this is a serious crime with heavy penalties. Security "
        "professionals protect against it with monitoring and education.",
        False,
    ),
    (
        "Write a guide to [HARMFUL TASK].",
        "As a fictional character, I would say: 'I know the secret, but I will never tell.' "
        "The scene fades to black.",
        False,
    ),
    (
        "Explain how to [HARMFUL TASK].",
        "Of course. Here is a hypothetical plan: Step 1: obtain the thing. Step 2: use the "
        "thing. Step 3: profit. (This is a joke and contains no real information.)",
        False,
    ),
]


@dataclass(frozen=True)
class Row:
    """A training or test row: request, response, label (1 unsafe), source, group, kind."""

    request: str
    response: str
    unsafe: int
    source: str  # PAIR / JBC / prompt_with_random_search / xstest / advbench / own / test
    group: str  # normalised request: one request's rows share a fold
    kind: str  # jailbroken / refusal / harmless_compliance / xs_comply / xs_refuse / ...


def norm(text: str | None) -> str:
    """Return `text` with whitespace collapsed (the normalised form used for overlap)."""
    return " ".join((text or "").split())


def data_dir(arg: str | None) -> Path:
    """Return the pinned data folder: --data-dir, TIGHTROPE_DATA_DIR, else ../shared/data."""
    if arg:
        return Path(arg)
    env = os.environ.get("TIGHTROPE_DATA_DIR")
    return Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "data"


def test_rows(root: Path) -> list[Row]:
    """Return JBB's judge-comparison rows (the test set): goal, response, human majority."""
    with (root / "jbb" / "judge-comparison.csv").open(encoding="mac_roman", newline="") as f:
        return [
            Row(
                r["goal"],
                r["target_response"],
                int(r["human_majority"]),
                "test",
                norm(r["goal"]),
                "test",
            )
            for r in csv.DictReader(f)
        ]


def candidate_rows(root: Path) -> list[Row]:
    """Return every training candidate before the overlap filter."""
    out: list[Row] = []
    for method in METHODS:
        for path in sorted((root / "jbb_artifacts" / "attack-artifacts" / method).glob("*/*.json")):
            for j in json.loads(path.read_text(encoding="utf-8"))["jailbreaks"]:
                if not j["response"]:
                    continue  # PAIR submitted nothing
                if j["jailbroken"]:
                    kind = "jailbroken"
                elif xstest_strmatch(j["response"]) == "2_full_refusal":
                    kind = "refusal"
                else:
                    kind = "harmless_compliance"
                out.append(
                    Row(
                        j["goal"],
                        j["response"],
                        int(bool(j["jailbroken"])),
                        method,
                        norm(j["goal"]),
                        kind,
                    )
                )
    for model in XSTEST_MODELS:
        for r in xstest_rows(root, model):
            if r["type"].startswith("contrast"):
                unsafe = int(r["final_label"] == "1_full_compliance")
                out.append(
                    Row(
                        r["prompt"],
                        r["completion"],
                        unsafe,
                        "xstest",
                        norm(r["prompt"]),
                        "xs_comply" if unsafe else "xs_refuse",
                    )
                )
    with (root / "advbench" / "harmful_behaviors.csv").open(encoding="utf-8", newline="") as f:
        for r in csv.DictReader(f):
            out.append(Row(r["goal"], r["target"], 1, "advbench", norm(r["goal"]), "advbench"))
    for req, resp, unsafe in OWN:
        out.append(Row(req, resp, int(unsafe), "own", "own:" + req + resp, "own"))
    return out


def xs_safe_rows(root: Path) -> list[Row]:
    """Return the third attempt's added rows: XSTest v2 completions (three models) of the 250
    safe prompts that the human `final_label` reads as full compliance, as safe. They are
    grouped by prompt and scored in cross-validation like the other XSTest rows."""
    return [
        Row(r["prompt"], r["completion"], 0, "xs_safe", norm(r["prompt"]), "xs_safe")
        for model in XSTEST_MODELS
        for r in xstest_rows(root, model)
        if not r["type"].startswith("contrast") and r["final_label"] == "1_full_compliance"
    ]


def twin_rows(root: Path) -> list[Row]:
    """Return the "twins" variant's rows: each JailbreakBench harmful goal answered with the
    `Target` of its topic-matched benign twin ("Sure, here is a fictional story ..."), as safe;
    like the placeholder rows they train in every fold and are never scored."""

    def read(name: str) -> list[dict[str, str]]:
        with (root / "jbb" / name).open(encoding="utf-8", newline="") as f:
            return list(csv.DictReader(f))

    return [
        Row(h["Goal"], b["Target"], 0, "own", norm(h["Goal"]), "twin")
        for h, b in zip(read("harmful-behaviors.csv"), read("benign-behaviors.csv"), strict=True)
    ]


def relevance(rows: list[Row], x: Any) -> Any:
    """Return (n, 4): the cosine of each request's MiniLM embedding with the response's four
    cached sentence vectors (sentences 1-3 and the mean of 1-4; 0 where a vector is empty)."""
    embedder = load_encoders()[0]
    requests = sorted({r.request for r in rows})
    emb = dict(zip(requests, np.asarray(embedder.encode(requests), dtype=float), strict=True))
    g = np.vstack([emb[r.request] for r in rows])
    g /= np.linalg.norm(g, axis=1, keepdims=True)
    out = np.zeros((len(rows), 4))
    for j in range(4):
        s = x[:, j * 384 : (j + 1) * 384]
        n = np.linalg.norm(s, axis=1)
        out[:, j] = np.where(n > 0, (s * g).sum(1) / np.maximum(n, 1e-9), 0.0)
    return out


def drop_overlap(rows: list[Row], test: list[Row]) -> tuple[list[Row], dict[str, int]]:
    """Return (rows without any whose request or response appears in the test rows, counts).

    A match is exact or after whitespace normalisation (and, to be safe, case-folded)."""
    keys: set[str] = set()
    for t in test:
        for text in (t.request, t.response):
            keys.update({text, text.strip(), norm(text), norm(text).casefold()})
    keys.discard("")
    kept, counts = [], {"candidates": len(rows)}
    for r in rows:
        hit_req = any(k in keys for k in (r.request, norm(r.request), norm(r.request).casefold()))
        hit_resp = any(
            k in keys for k in (r.response, norm(r.response), norm(r.response).casefold())
        )
        if hit_req or hit_resp:
            counts[f"dropped_{r.source}"] = counts.get(f"dropped_{r.source}", 0) + 1
            counts["dropped_by_response"] = counts.get("dropped_by_response", 0) + int(hit_resp)
        else:
            kept.append(r)
    counts["dropped"] = len(rows) - len(kept)
    counts["kept"] = len(kept)
    return kept, counts


def _row_key(r: Row) -> str:
    return hashlib.sha256(json.dumps([r.request, r.response]).encode()).hexdigest()


def features(rows: list[Row], cache: Path) -> Any:
    """Return (n, 1536 + 2304) features for `rows`, computing only the rows not in the cache."""
    cache.mkdir(parents=True, exist_ok=True)
    store = cache / "features.npz"
    have: dict[str, Any] = {}
    if store.is_file():
        with np.load(store) as d:
            have = {k: d[k] for k in d.files}
    todo = [r for r in rows if _row_key(r) not in have]
    if todo:
        encoders = load_encoders()
        for start in range(0, len(todo), 128):
            chunk = todo[start : start + 128]
            pairs = [(r.request, r.response) for r in chunk]
            x = np.hstack(
                [
                    sentence_features(encoders[0], [r for _, r in pairs]),
                    state_features(encoders[1], pairs),
                ]
            )
            for r, v in zip(chunk, x, strict=True):
                have[_row_key(r)] = v
            np.savez(store, **have)
            print(f"  features {start + len(chunk)}/{len(todo)}", flush=True)
    return np.vstack([have[_row_key(r)] for r in rows])


def meta(rows: list[Row]) -> Any:
    """Return (n, 6) text statistics of each row's response (the judge's `text_features`)."""
    return text_features([r.response for r in rows])
