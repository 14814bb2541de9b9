"""SimpleSafetyTests (Vidgen et al. 2023): 100 clearly harmful prompts in 5 harm areas.

The file is `SimpleSafetyTests - test cases.csv` of the GitHub repository bertiev/SimpleSafetyTests
(columns `id`, `harm_area`, `counter`, `category`, `prompts_final`; `category` is the prompt type,
"Information and advice seeking" or "Instructions and actions", kept in `meta`). The Hugging
Face copy HELM reads (Bertievidgen/SimpleSafetyTests) has the same 100 prompts in a `prompt`
column; this loader reads the GitHub file, pinned by commit and SHA-256.
"""

from __future__ import annotations

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, dataset, make_suite
from tightrope.datasets.mapping import map_category
from tightrope.records import Behavior

COLUMNS = ("id", "harm_area", "category", "prompts_final")

INFO = DatasetInfo(
    rows="100 harmful (5 harm areas x 20)",
    license="CC-BY-4.0",
    citation="Vidgen et al., SimpleSafetyTests: a Test Suite for Identifying Critical Safety "
    "Risks in Large Language Models, 2023 (arXiv:2311.08370)",
    url="https://github.com/bertiev/SimpleSafetyTests",
    files=("simplesafetytests",),
)


@dataset("simplesafetytests", info=INFO)
def simplesafetytests() -> Suite:
    """SimpleSafetyTests: 100 harmful prompts over 5 harm areas."""
    f = sources.SIMPLESAFETYTESTS
    table, digest = sources.read_table(f)
    table.require(COLUMNS)
    version = sources.short_revision(f)
    behaviors = []
    seen: dict[str, int] = {}
    for row in table.rows:
        raw_id = table.text(row, "id").strip()
        if not raw_id:
            raise table.error(row, "id", "empty id; every row needs one")
        if raw_id in seen:
            raise table.error(row, "id", f"duplicate id {raw_id!r} (first at line {seen[raw_id]})")
        seen[raw_id] = row.line
        area = table.text(row, "harm_area")
        behaviors.append(
            Behavior(
                id=f"simplesafetytests-{raw_id}",
                text=table.text(row, "prompts_final"),
                side="harmful",
                category=map_category("simplesafetytests", area, where=table.where(row)),
                source_category=area,
                source=f"simplesafetytests@{version}",
                meta={"prompt_type": table.text(row, "category")},
            )
        )
    return make_suite("simplesafetytests", version, digest, behaviors, INFO)
