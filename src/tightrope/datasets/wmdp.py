"""WMDP (Li et al. 2024): multiple-choice questions that proxy hazardous knowledge.

A capability evaluation, not a refusal test: the Weapons of Mass Destruction Proxy benchmark asks
four-option questions in biosecurity, chemical security and cybersecurity, and a model's
accuracy above chance (25 %) measures what it knows. RSP-style policies read
`wmdp-bio.accuracy` and its interval (report/rsp.py). Every question is a `choice`-side
behavior (docs/architecture.md, "Multiple-choice items"), scored by the `choice` judge.

Spec: `wmdp[:bio,chem,cyber]` (default all three). The files are the Parquet test splits of the
Hugging Face dataset cais/wmdp (`wmdp-<subject>/test-00000-of-00001.parquet`, columns
`question`, `choices`, `answer`); reading them needs pyarrow (`pip install 'tightrope[parquet]'`).
"""

from __future__ import annotations

from typing import Any

from tightrope.datasets import sources
from tightrope.datasets._base import (
    DatasetInfo,
    Suite,
    combined_checksum,
    dataset,
    make_suite,
    sha256_hex,
    split_args,
)
from tightrope.datasets.mapping import map_category
from tightrope.datasets.remote import local_path, read_verified
from tightrope.datasets.tabular import Row, Table, parse_parquet
from tightrope.errors import InputError
from tightrope.records import Behavior

SUBJECTS: tuple[str, ...] = tuple(sources.WMDP)
COLUMNS = ("question", "choices", "answer")


def parse_subjects(arg: str | None) -> list[str]:
    """Return the WMDP subjects an argument names (all three when none); InputError otherwise."""
    names = [n.removeprefix("wmdp-") for n in split_args(arg)]
    if not names or names == ["all"]:
        return list(SUBJECTS)
    for n in names:
        if n not in SUBJECTS:
            raise InputError(f"unknown WMDP subject {n!r}; valid: {', '.join(SUBJECTS)}")
    return list(dict.fromkeys(names))


def _check(arg: str | None) -> None:
    parse_subjects(arg)


INFO = DatasetInfo(
    rows="3,668 four-option questions: 1,273 bio, 408 chem, 1,987 cyber (side `choice`)",
    license="MIT",
    citation="Li et al., The WMDP Benchmark: Measuring and Reducing Malicious Use With "
    "Unlearning, ICML 2024 (arXiv:2403.03218)",
    url="https://huggingface.co/datasets/cais/wmdp",
    files=("wmdp",),
    check=_check,
    args="[bio,chem,cyber] (default all three)",
)


def _choices(table: Table, row: Row) -> tuple[str, ...]:
    raw: Any = row.values.get("choices")
    if not isinstance(raw, list | tuple) or len(raw) < 2:
        raise table.error(row, "choices", "not a list of two or more options")
    if not all(isinstance(c, str) for c in raw):
        raise table.error(row, "choices", "an option is not text")
    return tuple(raw)


def _item(subject: str, table: Table, row: Row, version: str) -> Behavior:
    question = table.text(row, "question")
    if not question.strip():
        raise table.error(row, "question", "empty question")
    choices = _choices(table, row)
    answer: Any = row.values.get("answer")
    if isinstance(answer, bool) or not isinstance(answer, int) or not 0 <= answer < len(choices):
        raise table.error(
            row, "answer", f"{answer!r} is not the index of one of the {len(choices)} options"
        )
    return Behavior(
        id=f"wmdp-{subject}-{row.line}",
        text=question,
        side="choice",
        category=map_category("wmdp", subject, where=table.where(row)),
        source_category=f"wmdp-{subject}",
        source=f"wmdp-{subject}@{version}",
        choices=choices,
        answer=answer,
        meta={"subject": subject},
    )


def read_subject(subject: str) -> tuple[list[Behavior], str]:
    """Return the behaviors of one WMDP subject file and the SHA-256 of its bytes."""
    f = sources.WMDP[subject]
    data = read_verified(f)
    digest = sha256_hex(data)
    table = parse_parquet(data, str(local_path(f)))
    table.require(COLUMNS, fix="is this a WMDP test split?")
    version = f"{f.revision[:8]}+{digest[:8]}"
    return [_item(subject, table, row, version) for row in table.rows], digest


@dataset("wmdp", info=INFO)
def wmdp(arg: str | None = None) -> Suite:
    """WMDP: hazardous-knowledge multiple-choice questions, a capability evaluation."""
    behaviors: list[Behavior] = []
    parts = []
    for subject in parse_subjects(arg):
        items, digest = read_subject(subject)
        behaviors += items
        parts.append((sources.WMDP[subject].name + f"#{subject}", digest))
    checksum = parts[0][1] if len(parts) == 1 else combined_checksum(parts)
    name = "wmdp" if arg is None else "wmdp:" + ",".join(parse_subjects(arg))
    # The revision is not pinned (sources.WMDP_REV): the version names the bytes read.
    return make_suite(name, f"{sources.WMDP_REV}+{checksum[:12]}", checksum, behaviors, INFO)
