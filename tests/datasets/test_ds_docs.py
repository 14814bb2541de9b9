"""docs/datasets.md states the category mapping exactly as mapping.py and advbench.py apply it."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from tightrope.datasets import load_suite, mapping
from tightrope.datasets.advbench import RULES

DOC = Path(__file__).resolve().parents[2] / "docs" / "datasets.md"
ROW = re.compile(r"^\| ([^|]+?) \| (S\d+) \| ([^|]+?) \|$")


def _rows(section: str) -> list[tuple[str, str, str]]:
    return [m.groups() for line in section.splitlines() if (m := ROW.match(line))]


def _sections() -> tuple[str, str]:
    text = DOC.read_text(encoding="utf-8")
    start = text.index("## Categories")
    advbench = text.index("### AdvBench", start)
    end = text.index("## Your own files", advbench)
    return text[start:advbench], text[advbench:end]


def test_every_mapping_row_is_documented_and_nothing_else() -> None:
    tables, _ = _sections()
    documented = Counter((key, code) for key, code, _ in _rows(tables))
    applied = Counter((k, v) for table in mapping.TABLES.values() for k, v in table.items())
    assert documented == applied


def test_advbench_rules_and_counts_are_documented() -> None:
    _, section = _sections()
    documented = [(name, code, int(n)) for name, code, n in _rows(section)]
    counts = Counter(b.meta["category_rule"] for b in load_suite("advbench").behaviors)
    assert documented == [(name, code, counts[name]) for name, _, code in RULES]
    assert sum(n for _, _, n in documented) == 520
