"""What `tightrope datasets list` shows: every suite, its size, license, citation and status."""

from __future__ import annotations

from dataclasses import dataclass

from tightrope.datasets import sources
from tightrope.datasets._base import dataset_info, datasets
from tightrope.datasets.remote import data_dir, is_present


@dataclass(frozen=True)
class CatalogEntry:
    """One row of the dataset listing."""

    name: str
    rows: str
    license: str
    citation: str
    url: str
    args: str
    status: str


def status_of(name: str) -> str:
    """Return 'built-in', 'cached', 'in mirror', 'partly cached' or 'not cached' for a suite."""
    info = dataset_info(name)
    files = [f for key in info.files for f in sources.files_of(key)]
    if not files:
        return "built-in" if not info.args else "-"
    present = sum(is_present(f) for f in files)
    where = "in mirror" if data_dir() is not None else "cached"
    if present == len(files):
        return where
    return f"partly {where} ({present}/{len(files)})" if present else f"not {where}"


def catalog() -> list[CatalogEntry]:
    """Return one entry per registered suite, sorted by name; no data is read."""
    out = []
    for name in datasets.names():
        info = dataset_info(name)
        out.append(
            CatalogEntry(
                name=name,
                rows=info.rows,
                license=info.license,
                citation=info.citation,
                url=info.url,
                args=info.args,
                status=status_of(name),
            )
        )
    return out
