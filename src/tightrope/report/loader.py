"""Load finished (or partial) runs from the store for reports: records, tables, judges, errors.

Reports never call a model or a judge: the tables are recomputed from stored records with the
metrics module, and the judge kinds come from the run's stored instrument.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.metrics.errors import error_counts
from tightrope.metrics.helm import HelmTable
from tightrope.metrics.rates import MetricsTable, NoRefusalJudge, metrics_table, primary_judges
from tightrope.records import Record
from tightrope.report.choice import ChoiceSection, choice_sections
from tightrope.report.helm import helm_tables
from tightrope.store import STORE_FILENAME, RunInfo, Store


@dataclass(frozen=True)
class LoadedRun:
    """One run as reports see it: its row, its records and its metrics tables."""

    info: RunInfo
    records: list[Record]
    tables: list[MetricsTable]
    refusal_judge: str
    harm_judge: str | None

    @property
    def run_id(self) -> str:
        """The run's id."""
        return self.info.run_id

    @property
    def instrument(self) -> dict[str, Any]:
        """The run's stored instrument (suites, judges, generation, tightrope version)."""
        return self.info.instrument

    @property
    def judge_names(self) -> list[str]:
        """Every judge of the run, in the order it was configured."""
        return [str(j["name"]) for j in self.instrument.get("judges", [])]

    @property
    def targets(self) -> list[str]:
        """Target specs of the run, in the configured order."""
        return [str(t) for t in self.info.config.get("targets", [])]

    @property
    def attacks(self) -> list[str]:
        """Attack names of the run, `direct` first."""
        return [str(a) for a in self.info.config.get("attacks", ["direct"])]

    def choice(self) -> list[ChoiceSection]:
        """Return the multiple-choice section of each target that answered such items
        (report/choice.py)."""
        return choice_sections(self.records, self.targets)

    def helm(self) -> list[HelmTable]:
        """Return the HELM Safety table of each target that ran a HELM benchmark (report/helm.py)."""
        return helm_tables(
            self.records, self.targets, refusal_judge=self.refusal_judge, harm_judge=self.harm_judge
        )

    def error_counts(self) -> dict[str, int]:
        """Return counts of records, failed or missing generations, and judge errors.

        `judge_errors` counts records with a usable response where some configured judge
        returned `error` or gave no verdict; `failed` counts records that are errors in any way
        (`tightrope.metrics.errors`, the same count as the store's `failed_attempts`).
        """
        return error_counts(self.records, self.judge_names).as_dict()


def store_path(out: Path) -> Path:
    """Return the store file for `--out` (a folder or a .db file); InputError if there is none."""
    db = out if out.suffix == ".db" else out / STORE_FILENAME
    if not db.is_file():
        raise InputError(f"{db}: no run store here; pass the folder given to run --out")
    return db


def primary_judges_of(instrument: dict[str, Any]) -> tuple[str, str | None]:
    """Return (refusal judge, harm judge or None) named in a stored instrument.

    The first judge of each kind drives the metrics, as in `tightrope run`
    (`tightrope.metrics.primary_judges`).
    """
    kinds = {str(j["name"]): str(j.get("kind")) for j in instrument.get("judges", [])}
    try:
        return primary_judges(kinds)
    except NoRefusalJudge:
        raise InputError(
            "the run names no refusal judge in its instrument; it cannot be reported"
        ) from None


def resolve_run_id(store: Store, run_id: str) -> str:
    """Return `run_id`, or the newest run's id for 'latest'; InputError when the store is empty."""
    if run_id != "latest":
        return run_id
    runs = store.runs()
    if not runs:
        raise InputError(f"{store.path}: the store holds no runs yet")
    return runs[0].run_id


def load_from(store: Store, run_id: str) -> LoadedRun:
    """Return one run of an open store with its records and recomputed tables."""
    info = store.run(resolve_run_id(store, run_id))
    records = store.records(info.run_id)
    refusal, harm = primary_judges_of(info.instrument)
    targets = [str(t) for t in info.config.get("targets", [])]
    attacks = [str(a) for a in info.config.get("attacks", ["direct"])]
    tables = [
        metrics_table(records, target=t, attack=a, refusal_judge=refusal, harm_judge=harm)
        for t in targets
        for a in attacks
    ]
    return LoadedRun(
        info=info, records=records, tables=tables, refusal_judge=refusal, harm_judge=harm
    )


def load_runs(out: Path, run_ids: Sequence[str]) -> list[LoadedRun]:
    """Return the named runs of the store in `out` ('latest' allowed), in the order given.

    Raises InputError (one line, with the fix) when the store or a run does not exist.
    """
    store = Store.open(store_path(out), readonly=True)
    try:
        runs = [load_from(store, rid) for rid in run_ids]
    finally:
        store.close()
    seen: set[str] = set()
    unique = []
    for r in runs:
        if r.run_id not in seen:
            seen.add(r.run_id)
            unique.append(r)
    return unique
