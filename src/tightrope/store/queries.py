"""SQL fragments and helpers shared by the store's tables (store.py and its mixins)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

# Attempts of run `?` with no successful response yet (never run, or errored), less those whose
# attack_params hold `true` under the JSON path `?` (the attempts another stage owns).
PENDING = (
    "FROM attempts a LEFT JOIN responses r ON r.run_id=a.run_id AND r.attempt_id=a.attempt_id "
    "WHERE a.run_id=? AND (r.ok IS NULL OR r.ok=0) AND json_extract(a.data, ?) IS NOT 1"
)

# A response row that no provider filter stopped (Response.filtered is null).
NOT_FILTERED = "json_extract(r.data, '$.filtered') IS NULL"


def chunks(items: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    """Split ids into chunks small enough for one `IN (...)` list."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
