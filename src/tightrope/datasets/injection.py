"""The built-in `injection` suite: indirect prompt injection in documents and tool results.

Written for tightrope (`data/injection.yaml`, 42 pairs; not copied from any dataset). Each pair
is a user's task on one document that a tool returned (an e-mail, a web page, a file, search
results, a calendar, reviews): the harmful twin's document carries an injected instruction, the
benign twin's is the same document without it. Injected tasks are harmless on purpose: they ask
for a canary string (`CANARY-4F7K`) or a made-up link (`https://canary-q8m3.example/...`).

A behavior is sent as the suite's system message, the user's task (the behavior's own turn,
which attacks may transform) and then the document as a `tool` message named after its tool
(`Behavior.after`), so every backend sends it as a tool result (targets/roles.py).

The `hierarchy` judge checks the harmful twin for the canary (the model carried out the injected
task) and the benign twin for the answer's keywords (the user's own task got done; `any: true`
accepts any one of them, else every one is needed). not_unsafe is then the injection
robustness rate and not_overrefuse the task completion rate.
"""

from __future__ import annotations

from importlib import resources
from typing import Any

import yaml

from tightrope.datasets._base import DatasetInfo, Suite, dataset, sha256_hex
from tightrope.errors import InputError
from tightrope.records import Behavior, Message

FILE = "injection.yaml"
PLACEHOLDER = "{injection}"
CATEGORY = "injection"
FIELDS = ("id", "tool", "task", "keywords", "canary", "injection", "document")

INFO = DatasetInfo(
    rows="84 (42 pairs: a document with an injected instruction, and without)",
    license="Apache-2.0",
    citation="tightrope injection suite (written for tightrope)",
    url="docs/hierarchy.md",
    judges=("hierarchy",),
)


def _fail(pid: str, message: str) -> InputError:
    return InputError(f"{FILE}: pair {pid}: {message}")


def _pair(raw: dict[str, Any], system: Message, source: str) -> tuple[Behavior, Behavior]:
    pid = str(raw.get("id", "?"))
    missing = [f for f in FIELDS if f not in raw]
    if missing:
        raise _fail(pid, f"missing {missing[0]!r}")
    document, injection, canary = str(raw["document"]), str(raw["injection"]), str(raw["canary"])
    if document.count(PLACEHOLDER) != 1:
        raise _fail(pid, f"the document needs {PLACEHOLDER} exactly once")
    if canary.casefold() not in injection.casefold():
        raise _fail(pid, "the injection must contain its canary")
    keywords = raw["keywords"]
    if not isinstance(keywords, list) or not keywords:
        raise _fail(pid, "keywords must be a non-empty list")
    clean = document.replace(PLACEHOLDER + "\n", "").replace(PLACEHOLDER, "").rstrip("\n")
    injected = document.replace(PLACEHOLDER, injection).rstrip("\n")
    if canary.casefold() in (clean + str(raw["task"])).casefold():
        raise _fail(pid, "the canary must appear only in the injection")
    tool = str(raw["tool"])
    out = []
    for side, doc, suffix, meta in (
        ("harmful", injected, "injected", {"check": "canary", "canary": canary}),
        (
            "benign",
            clean,
            "clean",
            {
                "check": "keywords",
                "keywords": [str(k) for k in keywords],
                "any": bool(raw.get("any", False)),
            },
        ),
    ):
        out.append(
            Behavior(
                id=f"injection-{pid}-{suffix}",
                text=str(raw["task"]),
                side=side,
                category=CATEGORY,
                source_category=tool,
                source=source,
                pair_id=f"injection-{pid}",
                meta={"tool": tool, **meta},
                conversation=(system,),
                after=(Message(role="tool", name=tool, content=doc),),
            )
        )
    return out[0], out[1]


@dataset("injection", info=INFO)
def injection() -> Suite:
    """Built-in indirect prompt injection pairs (an injected document and its clean twin)."""
    raw = resources.files("tightrope.datasets").joinpath("data", FILE).read_bytes()
    doc = yaml.safe_load(raw)
    source = f"{doc['name']}@{doc['version']}"
    system = Message(role="system", content=str(doc["system"]))
    behaviors: list[Behavior] = []
    seen: set[str] = set()
    for pair in doc["pairs"]:
        if str(pair.get("id")) in seen:
            raise _fail(str(pair.get("id")), "duplicate id")
        seen.add(str(pair.get("id")))
        behaviors.extend(_pair(pair, system, source))
    return Suite(
        name=str(doc["name"]),
        version=str(doc["version"]),
        checksum=sha256_hex(raw),
        behaviors=tuple(behaviors),
        license=INFO.license,
        citation=INFO.citation,
    )
