"""StrongREJECT forbidden prompts (Souly et al. 2024): 313 prompts in 6 categories."""

from __future__ import annotations

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, dataset, make_suite
from tightrope.datasets.mapping import map_category
from tightrope.records import Behavior

COLUMNS = ("category", "source", "forbidden_prompt")

INFO = DatasetInfo(
    rows="313 harmful (6 categories)",
    license="MIT (prompts from prior work keep their licenses; see the source column)",
    citation="Souly et al., A StrongREJECT for Empty Jailbreaks, NeurIPS 2024 (arXiv:2402.10260)",
    url="https://github.com/alexandrasouly/strongreject",
    files=("strongreject",),
)


@dataset("strongreject", info=INFO)
def strongreject() -> Suite:
    """StrongREJECT: 313 forbidden prompts in 6 categories."""
    f = sources.STRONGREJECT
    table, digest = sources.read_table(f)
    table.require(COLUMNS)
    version = sources.short_revision(f)
    behaviors = []
    for n, row in enumerate(table.rows, start=1):
        category = table.text(row, "category")
        behaviors.append(
            Behavior(
                id=f"strongreject-{n}",
                text=table.text(row, "forbidden_prompt"),
                side="harmful",
                category=map_category("strongreject", category, where=table.where(row)),
                source_category=category,
                source=f"strongreject@{version}",
                meta={"origin": table.text(row, "source")},
            )
        )
    return make_suite("strongreject", version, digest, behaviors, INFO)
