"""HarmBench text behaviors (Mazeika et al. 2024): splits all / val / test.

Spec: `harmbench[:SPLIT][,copyright]`, SPLIT one of all (default), val, test. Contextual
behaviors carry their ContextString in `Behavior.context` and are sent as
`context + "\\n\\n---\\n\\n" + behavior`, as HarmBench does (attacks.behavior_prompt). Copyright
behaviors are judged upstream by hashing the output against the protected text, not by a
classifier, so they are left out unless `copyright` is given; when included they carry
`meta["judge"] = "hash"`.
"""

from __future__ import annotations

import logging

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, dataset, make_suite, split_args
from tightrope.datasets.mapping import map_category
from tightrope.datasets.remote import RemoteFile
from tightrope.errors import InputError
from tightrope.records import Behavior

log = logging.getLogger(__name__)

SPLITS = ("all", "val", "test")
COLUMNS = (
    "Behavior",
    "FunctionalCategory",
    "SemanticCategory",
    "Tags",
    "ContextString",
    "BehaviorID",
)
FUNCTIONAL = ("standard", "contextual", "copyright")


def parse_arg(arg: str | None) -> tuple[str, bool]:
    """Return (split, include_copyright) of a `harmbench:` argument; InputError if malformed."""
    split, copyright_ = "all", False
    for token in split_args(arg):
        if token in SPLITS:
            split = token
        elif token == "copyright":
            copyright_ = True
        else:
            raise InputError(
                f"harmbench: unknown option {token!r}; use harmbench:all|val|test, "
                "optionally with ,copyright (e.g. harmbench:test,copyright)"
            )
    return split, copyright_


def _check(arg: str | None) -> None:
    parse_arg(arg)


INFO = DatasetInfo(
    rows="400 all (200 standard, 100 contextual, 100 copyright) / 80 val / 320 test",
    license="MIT",
    citation="Mazeika et al., HarmBench, ICML 2024 (arXiv:2402.04249)",
    url="https://github.com/centerforaisafety/HarmBench",
    files=("harmbench",),
    args="all|val|test[,copyright]",
    check=_check,
)


def _file(split: str) -> RemoteFile:
    return {
        "all": sources.HARMBENCH_ALL,
        "val": sources.HARMBENCH_VAL,
        "test": sources.HARMBENCH_TEST,
    }[split]


@dataset("harmbench", info=INFO)
def harmbench(arg: str | None = None) -> Suite:
    """HarmBench text behaviors (standard + contextual; copyright on request)."""
    split, with_copyright = parse_arg(arg)
    f = _file(split)
    table, digest = sources.read_table(f)
    table.require(COLUMNS)
    version = sources.short_revision(f)
    source = f"harmbench@{version}"
    behaviors: list[Behavior] = []
    left_out = 0
    for row in table.rows:
        functional = table.text(row, "FunctionalCategory")
        if functional not in FUNCTIONAL:
            raise table.error(row, "FunctionalCategory", f"unknown value {functional!r}")
        if functional == "copyright" and not with_copyright:
            left_out += 1
            continue
        semantic = table.text(row, "SemanticCategory")
        meta: dict[str, object] = {
            "functional_category": functional,
            "tags": table.text(row, "Tags"),
            "split": split,
        }
        if functional == "copyright":
            meta["judge"] = "hash"
        context = table.text(row, "ContextString") if functional == "contextual" else ""
        behaviors.append(
            Behavior(
                id=f"harmbench-{table.text(row, 'BehaviorID')}",
                text=table.text(row, "Behavior"),
                side="harmful",
                category=map_category("harmbench", semantic, where=table.where(row)),
                source_category=semantic,
                source=source,
                context=context or None,
                meta=meta,
            )
        )
    notes: tuple[str, ...] = ()
    if left_out:
        note = (
            f"harmbench: {left_out} copyright behaviors left out (they need a hash-based judge); "
            f"give --suite harmbench:{split},copyright to include them"
        )
        log.warning(note)
        notes = (note,)
    name = (
        "harmbench"
        if arg is None
        else f"harmbench:{split}" + (",copyright" if with_copyright else "")
    )
    return make_suite(name, version, digest, behaviors, INFO, notes=notes)
