"""OR-Bench (Cui et al. 2024): over-refusal prompts that only look harmful, and toxic ones.

Spec: `orbench[:CONFIG[,CONFIG...]]` with CONFIG one of `80k` (80k seemingly toxic but benign
prompts), `hard-1k` (the 1.3k of them most often refused) and `toxic` (truly toxic prompts, the
harmful side). The default, `orbench`, is `hard-1k,toxic`: over-refusal and safety together, as
the OR-Bench paper plots them. Files are the CSVs at the root of the Hugging Face dataset
bench-llm/or-bench (columns `prompt`, `category`).
"""

from __future__ import annotations

from tightrope.datasets import sources
from tightrope.datasets._base import (
    DatasetInfo,
    Suite,
    combined_checksum,
    dataset,
    make_suite,
    split_args,
)
from tightrope.datasets.mapping import map_category
from tightrope.datasets.remote import RemoteFile
from tightrope.errors import InputError
from tightrope.records import Behavior, Side

COLUMNS = ("prompt", "category")
DEFAULT = ("hard-1k", "toxic")


def _configs() -> dict[str, tuple[RemoteFile, Side]]:
    return {
        "80k": (sources.ORBENCH_80K, "benign"),
        "hard-1k": (sources.ORBENCH_HARD, "benign"),
        "toxic": (sources.ORBENCH_TOXIC, "harmful"),
    }


def parse_arg(arg: str | None) -> tuple[str, ...]:
    """Return the OR-Bench configs named by an `orbench:` argument (default hard-1k, toxic)."""
    names = split_args(arg)
    for name in names:
        if name not in _configs():
            raise InputError(
                f"orbench: unknown config {name!r}; use orbench:80k, orbench:hard-1k, "
                "orbench:toxic or a comma-separated mix (default hard-1k,toxic)"
            )
    return tuple(dict.fromkeys(names)) or DEFAULT


def _check(arg: str | None) -> None:
    parse_arg(arg)


INFO = DatasetInfo(
    rows="80,359 (80k, benign) / 1,319 (hard-1k, benign) / 655 (toxic, harmful)",
    license="CC-BY-4.0",
    citation="Cui et al., OR-Bench: An Over-Refusal Benchmark for Large Language Models, "
    "ICML 2025 (arXiv:2405.20947)",
    url="https://huggingface.co/datasets/bench-llm/or-bench",
    files=("orbench",),
    args="80k|hard-1k|toxic[,...]",
    check=_check,
)


@dataset("orbench", info=INFO)
def orbench(arg: str | None = None) -> Suite:
    """OR-Bench: seemingly toxic prompts (benign) and toxic prompts (harmful)."""
    configs = parse_arg(arg)
    behaviors: list[Behavior] = []
    parts: list[tuple[str, str]] = []
    version = ""
    for config in configs:
        f, side = _configs()[config]
        table, digest = sources.read_table(f)
        table.require(COLUMNS)
        version = sources.short_revision(f)
        parts.append((f.name, digest))
        for n, row in enumerate(table.rows, start=1):
            category = table.text(row, "category")
            behaviors.append(
                Behavior(
                    id=f"orbench-{config}-{n}",
                    text=table.text(row, "prompt"),
                    side=side,
                    category=map_category("orbench", category, where=table.where(row)),
                    source_category=category,
                    source=f"orbench@{version}",
                    meta={"config": f"or-bench-{config}"},
                )
            )
    name = "orbench" if arg is None else "orbench:" + ",".join(configs)
    return make_suite(name, version, combined_checksum(parts), behaviors, INFO)
