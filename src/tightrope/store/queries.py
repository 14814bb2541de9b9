"""SQL fragments and helpers shared by the store's tables (store.py and its mixins)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

from tightrope.store.schema import COLUMNS

# Version 2's columns as version 1 stores spell them (store/schema.py, COLUMNS): a version 1
# store opened read-only cannot be migrated, so its queries read the row's JSON.
_FROM_JSON = {column: value for _, column, _, value in COLUMNS}


def col(columns: bool, table: str, name: str) -> str:
    """Return the SQL of field `name` of the row aliased `table`: its column in a version 2
    store (`columns`), else the same value read from the row's JSON."""
    return f"{table}.{name}" if columns else _FROM_JSON[name].format(t=f"{table}.")


def not_filtered(columns: bool, table: str = "r") -> str:
    """Return the SQL condition: the response row `table` was not stopped by a provider's
    filter (Response.filtered is null)."""
    return f"{col(columns, table, 'filtered')} = 0"


# Attempts of run `?` with no successful response yet (never run, or errored), less those whose
# attack_params hold `true` under the JSON path `?` (the attempts another stage owns).
PENDING = (
    "FROM attempts a LEFT JOIN responses r ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
    "WHERE a.run_id=? AND (r.ok IS NULL OR r.ok=0) AND json_extract(a.data, ?) IS NOT 1"
)


def chunks(items: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    """Split ids into chunks small enough for one `IN (...)` list."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
