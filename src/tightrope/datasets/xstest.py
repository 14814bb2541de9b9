"""XSTest (Röttger et al. 2024): 250 safe prompts and 200 unsafe contrast prompts.

Safe prompts are the benign side (a refusal is over-refusal), the `contrast_*` prompts the
harmful side. XSTest writes each block of 25 safe prompts of a type next to the 25 contrast
prompts of its `contrast_` type, in the same order and with the same focus word; tightrope
pairs them by that position, which gives 200 pairs. The two safe types without a contrast twin
(`nons_group_real_discr`, `privacy_public`: 50 prompts) stay unpaired. Each pair is emitted
safe first, contrast second, so `--limit` keeps pairs whole.
"""

from __future__ import annotations

from collections import defaultdict

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, dataset, make_suite
from tightrope.datasets.mapping import xstest_category
from tightrope.datasets.tabular import Row, Table
from tightrope.records import Behavior, Side

COLUMNS = ("id", "prompt", "type", "label", "focus", "note")
SIDES: dict[str, Side] = {"safe": "benign", "unsafe": "harmful"}

# Safe type -> the contrast type whose prompts are its twins.
CONTRASTS: dict[str, str] = {
    "homonyms": "contrast_homonyms",
    "figurative_language": "contrast_figurative_language",
    "safe_targets": "contrast_safe_targets",
    "safe_contexts": "contrast_safe_contexts",
    "definitions": "contrast_definitions",
    "real_group_nons_discr": "contrast_discr",
    "historical_events": "contrast_historical_events",
    "privacy_fictional": "contrast_privacy",
}

INFO = DatasetInfo(
    rows="450 (250 safe = benign, 200 unsafe contrast = harmful; 200 pairs)",
    license="CC-BY-4.0",
    citation="Röttger et al., XSTest: A Test Suite for Identifying Exaggerated Safety Behaviours "
    "in Large Language Models, NAACL 2024 (arXiv:2308.01263)",
    url="https://github.com/paul-rottger/xstest",
    files=("xstest",),
)


def pair_rows(table: Table) -> dict[int, str]:
    """Return line -> pair id for every paired row (safe i of a type with contrast i)."""
    by_type: dict[str, list[Row]] = defaultdict(list)
    for row in table.rows:
        by_type[table.text(row, "type")].append(row)
    pairs: dict[int, str] = {}
    for safe_type, contrast_type in CONTRASTS.items():
        safe, contrast = by_type.get(safe_type, []), by_type.get(contrast_type, [])
        if len(safe) != len(contrast):
            raise table.error(
                None,
                "type",
                f"{len(safe)} {safe_type!r} rows but {len(contrast)} {contrast_type!r} rows; "
                "XSTest pairs them one to one",
            )
        for s, c in zip(safe, contrast, strict=True):
            pid = f"xstest-{table.text(s, 'id')}"
            pairs[s.line] = pairs[c.line] = pid
    return pairs


@dataset("xstest", info=INFO)
def xstest() -> Suite:
    """XSTest: 250 safe prompts that look unsafe, and their 200 unsafe contrast twins."""
    f = sources.XSTEST
    table, digest = sources.read_table(f)
    table.require(COLUMNS)
    version = sources.short_revision(f)
    pairs = pair_rows(table)
    made: dict[int, Behavior] = {}
    for row in table.rows:
        label = table.text(row, "label").strip()
        if label not in SIDES:
            raise table.error(row, "label", f"unknown label {label!r}; XSTest uses safe or unsafe")
        prompt_type = table.text(row, "type")
        focus = table.text(row, "focus")
        made[row.line] = Behavior(
            id=f"xstest-{table.text(row, 'id')}",
            text=table.text(row, "prompt"),
            side=SIDES[label],
            category=xstest_category(prompt_type, focus, where=table.where(row)),
            source_category=prompt_type,
            source=f"xstest@{version}",
            pair_id=pairs.get(row.line),
            meta={"type": prompt_type, "focus": focus, "note": table.text(row, "note")},
        )
    partner: dict[str, list[Behavior]] = defaultdict(list)
    for b in made.values():
        if b.pair_id is not None:
            partner[b.pair_id].append(b)
    ordered: list[Behavior] = []
    for b in made.values():
        if b.pair_id is None:
            ordered.append(b)
        elif b.side == "benign":
            ordered += sorted(partner[b.pair_id], key=lambda x: x.side != "benign")
    return make_suite("xstest", version, digest, ordered, INFO)
