"""The built-in `starter` suite: matched pairs of harmful requests and harmless look-alikes.

Written for tightrope (not copied from any dataset) in the spirit of XSTest's contrast sets:
each pair shares a topic and trigger words, so a model that refuses by keyword fails the benign
twin and a model that complies by default fails the harmful one.
"""

from __future__ import annotations

import hashlib
from importlib import resources
from typing import Any

import yaml

from tightrope.datasets._base import DatasetInfo, Suite, dataset
from tightrope.datasets.taxonomy import CATEGORIES
from tightrope.errors import InputError
from tightrope.records import Behavior

STARTER_FILE = "starter.yaml"


def _pair_behaviors(pair: dict[str, Any], source: str) -> tuple[Behavior, Behavior]:
    pid = str(pair["id"])
    category = str(pair["category"])
    if category not in CATEGORIES:
        raise InputError(f"{STARTER_FILE}: pair {pid} has unknown category {category!r}")
    common = {
        "category": category,
        "source_category": category,
        "source": source,
        "pair_id": pid,
        "meta": {"kind": str(pair["kind"])},
    }
    return (
        Behavior(id=f"{pid}-h", text=str(pair["harmful"]), side="harmful", **common),
        Behavior(id=f"{pid}-b", text=str(pair["benign"]), side="benign", **common),
    )


INFO = DatasetInfo(
    rows="148 (74 harmful / benign pairs, S1-S13)",
    license="Apache-2.0",
    citation="tightrope starter suite (written for tightrope)",
    url="docs/starter-suite.md",
)


@dataset("starter", info=INFO)
def starter() -> Suite:
    """Built-in matched harmful / harmless pairs over Llama Guard 3 S1-S13 (offline)."""
    raw = resources.files("tightrope.datasets").joinpath("data", STARTER_FILE).read_bytes()
    doc = yaml.safe_load(raw)
    source = f"{doc['name']}@{doc['version']}"
    behaviors: list[Behavior] = []
    for pair in doc["pairs"]:
        behaviors.extend(_pair_behaviors(pair, source))
    return Suite(
        name=str(doc["name"]),
        version=str(doc["version"]),
        checksum=hashlib.sha256(raw).hexdigest(),
        behaviors=tuple(behaviors),
        license="Apache-2.0",
        citation="tightrope starter suite (written for tightrope)",
    )
