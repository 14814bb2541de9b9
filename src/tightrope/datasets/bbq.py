"""BBQ (Parrish et al. 2022): multiple-choice questions that probe social bias, 11 categories.

Each line of `data/<Category>.jsonl` (nyu-mll/BBQ, pinned by commit) is one question about a
context that names two people, with three options: the two people and an "unknown" answer. In
ambiguous contexts the correct answer is "unknown"; in disambiguated ones it is a person. Every
item is a `choice`-side behavior (docs/architecture.md, "Multiple-choice items"): `text` is the
question, `context` the context, `choices` the three options and `answer` the correct index.

What the bias score needs rides in `meta`: the question's polarity (`neg` asks for the target of
a stereotype, `nonneg` for the other person), the context condition, the index of the unknown
option and the indices of the options that name a stereotyped group (`target_indices`), found
from `answer_info` and `additional_metadata.stereotyped_groups` as BBQ's own analysis does.
"""

from __future__ import annotations

import json
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
from tightrope.errors import InputError
from tightrope.records import Behavior

CATEGORIES: tuple[str, ...] = tuple(sources.BBQ)
_BY_LOWER = {c.lower(): c for c in CATEGORIES}
FIELDS = (
    "example_id",
    "question_polarity",
    "context_condition",
    "answer_info",
    "additional_metadata",
    "context",
    "question",
    "ans0",
    "ans1",
    "ans2",
    "label",
)


def parse_categories(arg: str | None) -> list[str]:
    """Return the BBQ categories an argument names (all 11 when none); InputError on a bad one."""
    names = split_args(arg)
    if not names or names == ["all"]:
        return list(CATEGORIES)
    out = []
    for n in names:
        if n not in _BY_LOWER:
            raise InputError(f"unknown BBQ category {n!r}; valid: {', '.join(CATEGORIES)}")
        out.append(_BY_LOWER[n])
    return out


def _check(arg: str | None) -> None:
    parse_categories(arg)


INFO = DatasetInfo(
    rows="58,492 multiple-choice questions in 11 categories (ambiguous and disambiguated)",
    license="CC-BY-4.0",
    citation="Parrish et al., BBQ: A Hand-Built Bias Benchmark for Question Answering, "
    "Findings of ACL 2022 (arXiv:2110.08193)",
    url="https://github.com/nyu-mll/BBQ",
    files=("bbq",),
    check=_check,
    args="[CATEGORY,...] (default all 11: " + ", ".join(CATEGORIES) + ")",
)


def _matches(category: str, group: str, info: list[str]) -> bool:
    """Return True when an option's `answer_info` names the stereotyped `group`.

    BBQ's metadata names groups as the options do, except for a few spellings that HELM's
    loader also reconciles: Race_ethnicity options tagged `F-Black` for the group `Black`,
    SES options `lowSES` for `low SES`, and Race_x_SES options `lowSES-M-Black` for `Black`.
    """
    if group in info:
        return True
    if category == "Race_ethnicity":
        return any(group in e for e in info)
    if category == "SES" and group == "low SES":
        return "lowSES" in info
    if category == "Race_x_SES":
        return any(e in (f"lowSES-{group}", f"lowSES-M-{group}", f"lowSES-F-{group}") for e in info)
    return False


def _item(category: str, raw: dict[str, Any], where: str) -> Behavior:
    """Return one BBQ line as a choice-side behavior; InputError naming the line if malformed."""
    missing = [f for f in FIELDS if f not in raw]
    if missing:
        raise InputError(f"{where}: missing field {missing[0]!r}; is this a BBQ data file?")
    infos = [list(map(str, raw["answer_info"][f"ans{i}"])) for i in range(3)]
    unknown = [i for i, info in enumerate(infos) if info[-1] == "unknown"]
    if len(unknown) != 1:
        raise InputError(f"{where}: {len(unknown)} options tagged 'unknown'; BBQ has exactly one")
    groups = [str(g) for g in raw["additional_metadata"].get("stereotyped_groups", [])]
    targets = [
        i
        for i, info in enumerate(infos)
        if i != unknown[0] and any(_matches(category, g, info) for g in groups)
    ]
    label = raw["label"]
    if label not in (0, 1, 2):
        raise InputError(f"{where}: label {label!r} is not 0, 1 or 2")
    return Behavior(
        id=f"bbq-{category}-{raw['example_id']}",
        text=str(raw["question"]),
        side="choice",
        category=map_category("bbq", category, where=where),
        source_category=category,
        source=f"bbq@{sources.BBQ_REV[:8]}",
        context=str(raw["context"]),
        choices=(str(raw["ans0"]), str(raw["ans1"]), str(raw["ans2"])),
        answer=label,
        meta={
            "question_index": str(raw.get("question_index", "")),
            "question_polarity": str(raw["question_polarity"]),
            "context_condition": str(raw["context_condition"]),
            "unknown_index": unknown[0],
            "target_indices": targets,
            "stereotyped_groups": groups,
        },
    )


def read_category(category: str) -> tuple[list[Behavior], str]:
    """Return the behaviors of one BBQ category file and the SHA-256 of its bytes."""
    f = sources.BBQ[category]
    data = read_verified(f)
    path = local_path(f)
    out = []
    for n, line in enumerate(data.decode("utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(
                f"{path}:{n}: not JSON ({exc.msg}); BBQ files hold one object a line"
            ) from None
        out.append(_item(category, raw, f"{path}:{n}"))
    return out, sha256_hex(data)


@dataset("bbq", info=INFO)
def bbq(arg: str | None = None) -> Suite:
    """BBQ: bias in question answering, as multiple-choice (`choice`-side) behaviors."""
    behaviors: list[Behavior] = []
    parts = []
    for category in parse_categories(arg):
        items, digest = read_category(category)
        behaviors += items
        parts.append((sources.BBQ[category].name, digest))
    checksum = parts[0][1] if len(parts) == 1 else combined_checksum(parts)
    untargeted = sum(not b.meta["target_indices"] for b in behaviors)
    notes: tuple[str, ...] = ()
    if untargeted:
        notes = (
            f"bbq: {untargeted} items name no stereotyped group among their options; they count "
            "in accuracy and not in the bias score",
        )
    return make_suite("bbq", sources.BBQ_REV[:8], checksum, behaviors, INFO, notes=notes)
