"""Human-labelled sets for judge meta-evaluation, read straight from their CSV files.

- `jbb` (harm side): JailbreakBench's judge-comparison file, ``jbb/judge-comparison.csv``
  (mac_roman, not UTF-8): 300 responses, ground truth ``human_majority`` (1 = unsafe), stored
  verdicts of four judges in ``harmbench_cf``, ``gpt4_cf``, ``llamaguard2_cf``, ``llama3_cf``.
  The file has no category column, so the only group is "all".
- `xstest` (over-refusal side): the XSTest v2 completion files of gpt4, llama2orig and
  mistralinstruct (``xstest/automated_evaluation_labels``), 450 rows each, ground truth the human
  ``final_label``; positive = full or partial refusal. The string-match and GPT-4 files of one
  model are joined by id, so both stored columns (``strmatch_label``, ``gpt4_label``) are there.
  Groups: the prompt ``type`` (category) and the model file (model).
- Any other CSV: JBB's layout (a ``human_majority`` column) or XSTest's (``final_label``), or a
  plain one with ``prompt``, ``response`` and ``label`` (unsafe/safe/1/0 for the harm side,
  refusal/partial/compliance or XSTest class names for the over-refusal side) and optionally
  ``category`` and ``id``.

The data folder has the layout of the pinned public data (``jbb/``, ``xstest/``): ``--data-dir``
or the environment variable TIGHTROPE_DATA_DIR names it.
"""

from __future__ import annotations

import csv
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from tightrope.errors import InputError
from tightrope.judges.strings import XSTEST_TO_VERDICT

Side = Literal["harm", "refusal"]
XSTEST_MODELS = ("gpt4", "llama2orig", "mistralinstruct")
HARM_TRUE = {"1", "unsafe", "true", "yes"}
HARM_FALSE = {"0", "safe", "false", "no"}
REFUSAL_LABELS = {"refusal": "refusal", "partial": "partial", "compliance": "compliance"}


@dataclass(frozen=True)
class EvalRow:
    """One human-labelled response; `truth` is True for the positive class of the set's side."""

    id: str
    prompt: str
    response: str
    truth: bool
    label: str
    groups: dict[str, str] = field(default_factory=dict)
    columns: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class EvalSet:
    """Rows of one side: `harm` (positive = unsafe) or `refusal` (positive = refused)."""

    name: str
    side: Side
    rows: list[EvalRow]
    truth_column: str


def data_dir(given: str | Path | None) -> Path:
    """Return the data folder: `given`, else TIGHTROPE_DATA_DIR; InputError if neither exists."""
    raw = given if given is not None else os.environ.get("TIGHTROPE_DATA_DIR")
    if not raw:
        raise InputError(
            "judge-eval needs the benchmark files: pass --data-dir DIR or set TIGHTROPE_DATA_DIR "
            "(a folder with jbb/judge-comparison.csv and xstest/automated_evaluation_labels/)"
        )
    path = Path(raw)
    if not path.is_dir():
        raise InputError(f"data folder {path} does not exist")
    return path


def _read(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError(f"{path}: no such file")
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        text = path.read_text(encoding="mac_roman")
    return list(csv.DictReader(text.splitlines(keepends=True)))


def harm_truth(value: str) -> bool | None:
    """Return True (unsafe), False (safe) or None (unreadable) for a harm-side label."""
    v = value.strip().lower()
    return True if v in HARM_TRUE else False if v in HARM_FALSE else None


def refusal_label(value: str) -> str | None:
    """Return refusal / partial / compliance for an over-refusal label, or None if unreadable
    (XSTest's free-text `gpt4_label` values, where the grader itself refused, give None)."""
    v = value.strip()
    return XSTEST_TO_VERDICT.get(v) or REFUSAL_LABELS.get(v.lower())


def _jbb(rows: list[dict[str, str]], name: str) -> EvalSet:
    out = []
    for i, r in enumerate(rows):
        truth = harm_truth(r["human_majority"])
        if truth is None:
            raise InputError(f"{name}: row {i + 1} has human_majority {r['human_majority']!r}")
        out.append(
            EvalRow(
                id=r.get("Index", str(i)),
                prompt=r.get("goal", ""),
                response=r.get("target_response", ""),
                truth=truth,
                label="unsafe" if truth else "safe",
                groups={"category": r.get("category") or r.get("Category") or "all"},
                columns=r,
            )
        )
    return EvalSet(name=name, side="harm", rows=out, truth_column="human_majority")


def _xstest_rows(rows: list[dict[str, str]], model: str, name: str) -> list[EvalRow]:
    out = []
    for r in rows:
        label = refusal_label(r["final_label"])
        if label is None:
            raise InputError(f"{name}: row {r.get('id')} has final_label {r['final_label']!r}")
        out.append(
            EvalRow(
                id=f"{model}/{r['id']}" if model else r["id"],
                prompt=r.get("prompt", ""),
                response=r.get("completion", ""),
                truth=label != "compliance",
                label=label,
                groups={"category": r.get("type") or "all", "model": model or "file"},
                columns=r,
            )
        )
    return out


def load_jbb(root: Path) -> EvalSet:
    """Return JailbreakBench's judge-comparison set (300 rows, harm side)."""
    return _jbb(_read(root / "jbb" / "judge-comparison.csv"), "jbb")


def load_xstest(root: Path, models: tuple[str, ...] = XSTEST_MODELS) -> EvalSet:
    """Return the XSTest completion files of `models`, string-match and GPT-4 columns joined."""
    folder = root / "xstest" / "automated_evaluation_labels"
    rows: list[EvalRow] = []
    for model in models:
        streval = _read(folder / f"xstest_v2_completions_{model}_streval.csv")
        gpteval = {r["id"]: r for r in _read(folder / f"xstest_v2_completions_{model}_gpteval.csv")}
        joined = []
        for r in streval:
            other = gpteval.get(r["id"], {})
            joined.append({**other, **r, "gpt4_label": other.get("gpt4_label", "")})
        rows += _xstest_rows(joined, model, "xstest")
    return EvalSet(name="xstest", side="refusal", rows=rows, truth_column="final_label")


def load_file(path: Path) -> EvalSet:
    """Return the set in a user's CSV (JBB layout, XSTest layout, or prompt/response/label)."""
    rows = _read(path)
    if not rows:
        raise InputError(f"{path}: no rows")
    header = set(rows[0])
    name = path.name
    if "human_majority" in header:
        return _jbb(rows, name)
    if "final_label" in header:
        return EvalSet(name, "refusal", _xstest_rows(rows, "", name), "final_label")
    need = {"prompt", "response", "label"}
    if not need <= header:
        raise InputError(
            f"{path}: need columns human_majority (JBB layout), final_label (XSTest layout), "
            f"or prompt, response and label; found {', '.join(sorted(header))}"
        )
    side: Side = "harm" if all(harm_truth(r["label"]) is not None for r in rows) else "refusal"
    out = []
    for i, r in enumerate(rows):
        if side == "harm":
            truth = harm_truth(r["label"])
            label = "unsafe" if truth else "safe"
        else:
            read = refusal_label(r["label"])
            if read is None:
                raise InputError(f"{path}: row {i + 1} has label {r['label']!r}")
            truth, label = read != "compliance", read
        out.append(
            EvalRow(
                id=r.get("id") or str(i + 1),
                prompt=r["prompt"],
                response=r["response"],
                truth=bool(truth),
                label=label,
                groups={"category": r.get("category") or "all"},
                columns=r,
            )
        )
    return EvalSet(name=name, side=side, rows=out, truth_column="label")


def load_evalset(against: str, root: str | Path | None) -> EvalSet:
    """Return the set named by ``--against``: `jbb`, `xstest`, or a CSV file path."""
    if against == "jbb":
        return load_jbb(data_dir(root))
    if against == "xstest":
        return load_xstest(data_dir(root))
    path = Path(against)
    if not path.exists():
        raise InputError(f"--against {against!r}: use jbb, xstest, or the path of a CSV file")
    return load_file(path)
