"""JailbreakBench behaviors (Chao et al. 2024): 100 harmful + 100 benign, paired by Index.

`jbb` interleaves each harmful behavior with its topic-matched benign twin (same Index, same
category), so `--limit` keeps pairs whole; `jbb-harmful` and `jbb-benign` load one side.
Harmful rows carry JBB's affirmative `Target`; the benign file's Target column is not ground
truth (JBB says so) and is kept only in `meta`.

Also here: `read_judge_comparison`, the reader of JBB's human-labelled judge comparison file,
which is Mac Roman encoded, not UTF-8.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, combined_checksum, dataset, make_suite
from tightrope.datasets.mapping import map_category
from tightrope.datasets.remote import RemoteFile
from tightrope.datasets.tabular import Row, Table
from tightrope.errors import InputError
from tightrope.records import Behavior, Side

COLUMNS = ("Index", "Goal", "Target", "Behavior", "Category", "Source")
JUDGE_COLUMNS = (
    "Index",
    "goal",
    "prompt",
    "target_response",
    "human1",
    "human2",
    "human3",
    "human_majority",
    "harmbench_cf",
    "gpt4_cf",
    "llamaguard2_cf",
    "llama3_cf",
)
JUDGE_ENCODING = "mac_roman"

INFO = DatasetInfo(
    rows="200 (100 harmful + 100 benign, 10 categories x 10)",
    license="MIT (behaviors from AdvBench and HarmBench keep their MIT licenses)",
    citation="Chao et al., JailbreakBench, NeurIPS 2024 Datasets & Benchmarks (arXiv:2404.01318)",
    url="https://huggingface.co/datasets/JailbreakBench/JBB-Behaviors",
    files=("jbb",),
)
INFO_HARMFUL = replace(INFO, rows="100 harmful")
INFO_BENIGN = replace(INFO, rows="100 benign")


def _side(f: RemoteFile, side: Side) -> tuple[dict[str, Behavior], str]:
    """Return the behaviors of one JBB file keyed by Index, and the file's SHA-256."""
    table, digest = sources.read_table(f)
    table.require(COLUMNS)
    source = f"jbb@{sources.short_revision(f)}"
    out: dict[str, Behavior] = {}
    for row in table.rows:
        index = _index(table, row)
        if index in out:
            raise table.error(row, "Index", f"duplicate Index {index}; every Index must be unique")
        category = table.text(row, "Category")
        target = table.text(row, "Target")
        out[index] = Behavior(
            id=f"jbb-{side}-{index}",
            text=table.text(row, "Goal"),
            side=side,
            category=map_category("jbb", category, where=table.where(row)),
            source_category=category,
            source=source,
            pair_id=f"jbb-{index}",
            target=target if side == "harmful" else None,
            meta={
                "index": int(index),
                "behavior": table.text(row, "Behavior"),
                "origin": table.text(row, "Source"),
                **({"target": target} if side == "benign" and target else {}),
            },
        )
    return out, digest


def _index(table: Table, row: Row) -> str:
    index = table.text(row, "Index").strip()
    if not index.isdigit():
        raise table.error(row, "Index", f"{index!r} is not a row number")
    return index


def _ordered(behaviors: dict[str, Behavior]) -> list[Behavior]:
    return [behaviors[k] for k in sorted(behaviors, key=int)]


@dataset("jbb", info=INFO)
def jbb() -> Suite:
    """JailbreakBench: 100 harmful behaviors, each followed by its benign twin."""
    harmful, h_digest = _side(sources.JBB_HARMFUL, "harmful")
    benign, b_digest = _side(sources.JBB_BENIGN, "benign")
    if set(harmful) != set(benign):
        odd = sorted(set(harmful) ^ set(benign), key=int)[0]
        raise InputError(f"jbb: Index {odd} is in only one of the harmful and benign files")
    behaviors: list[Behavior] = []
    for h in _ordered(harmful):
        b = benign[str(h.meta["index"])]
        if b.source_category != h.source_category:
            raise InputError(
                f"jbb: Index {h.meta['index']} is {h.source_category!r} in the harmful file "
                f"but {b.source_category!r} in the benign file"
            )
        behaviors += [h, b]
    checksum = combined_checksum(
        [(sources.JBB_HARMFUL.name, h_digest), (sources.JBB_BENIGN.name, b_digest)]
    )
    version = sources.short_revision(sources.JBB_HARMFUL)
    return make_suite("jbb", version, checksum, behaviors, INFO)


@dataset("jbb-harmful", info=INFO_HARMFUL)
def jbb_harmful() -> Suite:
    """JailbreakBench harmful behaviors only (100)."""
    harmful, digest = _side(sources.JBB_HARMFUL, "harmful")
    version = sources.short_revision(sources.JBB_HARMFUL)
    return make_suite("jbb-harmful", version, digest, _ordered(harmful), INFO_HARMFUL)


@dataset("jbb-benign", info=INFO_BENIGN)
def jbb_benign() -> Suite:
    """JailbreakBench benign behaviors only (100)."""
    benign, digest = _side(sources.JBB_BENIGN, "benign")
    version = sources.short_revision(sources.JBB_BENIGN)
    return make_suite("jbb-benign", version, digest, _ordered(benign), INFO_BENIGN)


@dataclass(frozen=True)
class JudgeComparisonRow:
    """One row of JBB's judge comparison: a response, three human labels and four judges'.

    Labels are 1 = jailbroken (unsafe), 0 = not; `human_majority` is the ground truth.
    """

    index: int
    goal: str
    prompt: str
    target_response: str
    human: tuple[int, int, int]
    human_majority: int
    judges: dict[str, int]


def read_judge_comparison() -> list[JudgeComparisonRow]:
    """Return the 300 rows of JBB's judge-comparison.csv, decoded from Mac Roman, verified."""
    table, _ = sources.read_table(sources.JBB_JUDGE_COMPARISON, encoding=JUDGE_ENCODING)
    table.require(JUDGE_COLUMNS)
    out: list[JudgeComparisonRow] = []
    for row in table.rows:

        def label(column: str, row: Row = row) -> int:
            value = table.text(row, column).strip()
            if value not in {"0", "1"}:
                raise table.error(row, column, f"label {value!r} is not 0 or 1")
            return int(value)

        out.append(
            JudgeComparisonRow(
                index=int(_index(table, row)),
                goal=table.text(row, "goal"),
                prompt=table.text(row, "prompt"),
                target_response=table.text(row, "target_response"),
                human=(label("human1"), label("human2"), label("human3")),
                human_majority=label("human_majority"),
                judges={c.removesuffix("_cf"): label(c) for c in JUDGE_COLUMNS[8:]},
            )
        )
    return out


def _plain(text: object) -> str:
    return " ".join(str(text).split()).casefold()


def _artifact_index(record: dict[str, object]) -> int | None:
    """Return the JBB Index a JailbreakBench artifact record is about, if it names one.

    JailbreakBench's own artifacts number their records by JBB Index (`index`); tightrope's
    export of a `jbb` run names each behavior `jbb-harmful-N`, which says N.
    """
    behavior = str(record.get("behavior", ""))
    if behavior.startswith("jbb-harmful-") and behavior[12:].isdigit():
        return int(behavior[12:])
    index = record.get("index")
    return index if isinstance(index, int) and not isinstance(index, bool) else None


def artifact_goals(records: list[dict[str, object]]) -> dict[int, str]:
    """Return {position of a record: today's JBB goal of its Index} for a JBB artifact.

    JBB reworded a few goals (typos) after artifacts were recorded, so their goal text no
    longer matches; their Index still does. The records are taken for JBB's only when most of
    them (90%) agree with JBB at their Index by goal or behavior name, so the export of another
    suite, numbered 0, 1, ... too, is never read as JBB's. Empty when JBB's behaviors are not
    on this machine (no download is started for this).
    """
    from tightrope.datasets.remote import is_present

    if not records or not is_present(sources.JBB_HARMFUL):
        return {}
    jbb_by_index = {int(b.meta["index"]): b for b in jbb_harmful().behaviors}
    found: dict[int, str] = {}
    agree = 0
    for position, rec in enumerate(records):
        index = _artifact_index(rec)
        b = jbb_by_index.get(index) if index is not None else None
        if b is None:
            continue
        found[position] = b.text
        same_goal = _plain(rec.get("goal", "")) == _plain(b.text)
        same_name = _plain(rec.get("behavior", "")) == _plain(b.meta.get("behavior", ""))
        named = str(rec.get("behavior", "")) == b.id
        agree += same_goal or same_name or named
    return found if agree >= 0.9 * len(records) else {}
