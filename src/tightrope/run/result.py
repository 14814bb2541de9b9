"""What a run produced, as the command line and the Python API see it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.judges.panel import PANEL_PREFIX
from tightrope.metrics import MetricsTable
from tightrope.records import Record, Verdict
from tightrope.run.pricing import RoleUsage
from tightrope.store import Store


@dataclass
class RunResult:
    """What a run produced: its id, where it is stored, the tables and what it cost."""

    run_id: str
    store_path: Path
    tables: list[MetricsTable]
    instrument: dict[str, Any]
    # Calls to target and judge models (adaptive attackers included), and those the cache answered.
    model_calls: int = 0
    cache_hits: int = 0
    resumed: bool = False
    errors: int = 0
    error_rate: float = 0.0
    max_error_rate: float = 0.05
    judge_names: dict[str, str] = field(default_factory=dict)
    usage: list[RoleUsage] = field(default_factory=list)
    # Judges of the run whose verdicts carry a harm score (goodness@k needs one).
    scored_judges: frozenset[str] = frozenset()
    _records: list[Record] | None = field(default=None, repr=False)

    @property
    def records(self) -> list[Record]:
        """Every record of the run in plan order, read from the store on first use.

        A run never builds these itself (a 100k-record run aggregates from SQL rows in flat
        memory); asking for them costs the memory of all records at once.
        """
        if self._records is None:
            with opened(self.store_path) as store:
                self._records = store.records(self.run_id)
        return self._records

    def panel_verdicts(self) -> list[tuple[str, Verdict]]:
        """Return (panel name, verdict) for every verdict of a judge panel in the run."""
        with opened(self.store_path) as store:
            return list(store.verdicts_of(self.run_id, prefix=PANEL_PREFIX))

    @property
    def error_rate_exceeded(self) -> bool:
        """True when more records failed than --max-error-rate allows."""
        return self.error_rate > self.max_error_rate

    def to_pandas(self) -> object:
        """Return the run as a pandas DataFrame with the Parquet export's columns: one row per
        record, flat fields, an outcome and one `verdict:<judge>` column per judge."""
        try:
            import pandas as pd
        except ImportError:
            raise InputError("to_pandas() needs pandas: pip install pandas") from None
        # The export's row builder lives in report/; imported here, on use, so that both give
        # the same columns (the run engine does not import the report layer otherwise).
        from tightrope.report.exports import flat_rows
        from tightrope.report.loader import load_from

        with opened(self.store_path) as store:
            rows = flat_rows(load_from(store, self.run_id))
        return pd.DataFrame(rows)


@contextmanager
def opened(out: Path) -> Iterator[Store]:
    """Open the store under `out` for the length of a `with` block."""
    store = Store.open(out)
    try:
        yield store
    finally:
        store.close()
