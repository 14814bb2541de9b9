"""Benchmark suites: the registry, the built-in starter suite and the category taxonomy."""

from tightrope.datasets import starter as _starter  # noqa: F401  (registers "starter")
from tightrope.datasets._base import Suite, dataset, datasets, load_suite
from tightrope.datasets.taxonomy import CATEGORIES, category_name, category_sort_key

__all__ = [
    "CATEGORIES",
    "Suite",
    "category_name",
    "category_sort_key",
    "dataset",
    "datasets",
    "load_suite",
]
