"""metrics/ reads records only: of tightrope it imports the records, the taxonomy and itself.

In particular no module of metrics/ imports the store, the runner, the reports, the attacks,
the judges or the command line; they depend on metrics, never the other way round.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tightrope.metrics

METRICS_DIR = Path(tightrope.metrics.__file__).parent
ALLOWED = ("tightrope.records", "tightrope.datasets.taxonomy", "tightrope.metrics")


def imported_names(source: str, package: str) -> list[str]:
    """Return the dotted name of everything `source` imports (`from m import n` gives `m.n`).

    Relative imports are resolved against `package`; imports inside functions count too.
    """
    names: list[str] = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                parts = package.split(".")
                base = parts[: len(parts) - node.level + 1]
                module = ".".join([*base, *([module] if module else [])])
            names += [f"{module}.{a.name}" for a in node.names]
    return names


def disallowed_imports(source: str, package: str = "tightrope.metrics") -> list[str]:
    """Return the tightrope imports of `source` that metrics/ must not make."""
    return [
        name
        for name in imported_names(source, package)
        if (name == "tightrope" or name.startswith("tightrope."))
        and not any(name == a or name.startswith(a + ".") for a in ALLOWED)
    ]


@pytest.mark.parametrize("path", sorted(METRICS_DIR.glob("*.py")), ids=lambda p: p.name)
def test_metrics_modules_import_only_records_taxonomy_and_metrics(path: Path) -> None:
    assert disallowed_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "from tightrope.store.store import Store",
        "import tightrope.run.runner",
        "from tightrope import report",
        "from tightrope.attacks.static.best_of_n import BestOfN",
        "from ..judges import Judge",
        "def f():\n    from tightrope.cli.app import app\n",
        "from tightrope.errors import InputError",
        "from tightrope.datasets import load_suite",
    ],
)
def test_the_rule_catches_a_disallowed_import(source: str) -> None:
    assert disallowed_imports(source) != []


def test_the_rule_allows_records_taxonomy_and_metrics() -> None:
    source = (
        "from tightrope.records import Record\n"
        "from tightrope.datasets.taxonomy import CATEGORIES\n"
        "from tightrope.datasets import taxonomy\n"
        "from tightrope.metrics.intervals import wilson_interval\n"
        "from . import collapse\n"
        "import math\n"
    )
    assert disallowed_imports(source) == []
