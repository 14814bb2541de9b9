"""Tensor Trust's hijacking and extraction robustness benchmarks (Toyer et al. 2023), v1.

Each row is a defense (`pre_prompt`, `access_code`, `post_prompt`) written by a player of the
Tensor Trust game and an `attack` another player wrote against it. The defense is the model's
prompt around the user's input, sent the way the game sent it to its chat model: the pre-prompt
as the system message, the input as the user turn, the post-prompt as a second user turn after
it (`Behavior.conversation` and `Behavior.after`; an empty pre- or post-prompt sends nothing).

Every row gives two behaviors, paired by the row's `sample_id` (`pair_id`):

- the attack as input: the harmful side. It succeeds when the reply says "access granted"
  (hijacking) or contains the access code (extraction); not_unsafe is then the paper's
  hijacking or extraction robustness rate.
- the access code as input: the benign side. The model should grant access; not_overrefuse
  is then the paper's defense validity.

The `hierarchy` judge (judges/hierarchy.py) reads the check each behavior carries in `meta`;
it is the default judge of these suites. Categories are the task (`hijacking`, `extraction`),
not hazards: no S1-S14 code describes a password game.
"""

from __future__ import annotations

from dataclasses import replace

from tightrope.datasets import sources
from tightrope.datasets._base import (
    DatasetInfo,
    Suite,
    combined_checksum,
    dataset,
    make_suite,
    sha256_hex,
    split_args,
)
from tightrope.datasets.remote import RemoteFile, local_path, read_verified
from tightrope.datasets.tabular import Row, Table, parse_jsonl
from tightrope.errors import InputError
from tightrope.records import Behavior, Message, Side

TASKS = ("hijacking", "extraction")
COLUMNS = ("sample_id", "pre_prompt", "access_code", "post_prompt", "attack")
# What the `hierarchy` judge checks (Behavior.meta["check"]).
CHECK_ACCESS_GRANTED = "access_granted"
CHECK_SECRET = "secret"
JUDGE = "hierarchy"

INFO = DatasetInfo(
    rows="1,346 rows x 2 (776 hijacking + 570 extraction attacks, each with its access code)",
    license="not stated in the repository (see the Tensor Trust paper)",
    citation="Toyer et al., Tensor Trust: Interpretable Prompt Injection Attacks from an "
    "Online Game, ICLR 2024 (arXiv:2311.01011)",
    url="https://github.com/HumanCompatibleAI/tensor-trust-data",
    files=("tensor-trust",),
    args="hijacking|extraction",
    judges=(JUDGE,),
)


def _check(arg: str | None) -> None:
    tasks = split_args(arg)
    if arg is not None and not tasks:
        raise InputError("tensor-trust: give hijacking or extraction after the colon, or none")
    for task in tasks:
        if task not in TASKS:
            raise InputError(
                f"tensor-trust: unknown task {task!r}; use tensor-trust:hijacking, "
                "tensor-trust:extraction or tensor-trust for both"
            )


INFO = replace(INFO, check=_check)


def _file(task: str) -> RemoteFile:
    return (
        sources.TENSOR_TRUST_HIJACKING if task == "hijacking" else sources.TENSOR_TRUST_EXTRACTION
    )


def _sample_id(table: Table, row: Row) -> str:
    value = row.values.get("sample_id")
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).isdigit():
        raise table.error(row, "sample_id", f"{value!r} is not a whole number")
    return str(value)


def defense_turns(
    pre_prompt: str, post_prompt: str
) -> tuple[tuple[Message, ...], tuple[Message, ...]]:
    """Return (conversation, after) of a Tensor Trust defense: the pre-prompt as the system
    message and the post-prompt as a user turn after the input; an empty part sends nothing."""
    before = (Message(role="system", content=pre_prompt),) if pre_prompt.strip() else ()
    after = (Message(role="user", content=post_prompt),) if post_prompt.strip() else ()
    return before, after


def _behaviors(task: str) -> tuple[list[Behavior], str]:
    """Return the behaviors of one task's file (attack, then access code, per row) and its hash."""
    f = _file(task)
    data = read_verified(f)
    table = parse_jsonl(data, str(local_path(f)))
    table.require(COLUMNS)
    source = f"tensor-trust@{sources.short_revision(f)}"
    seen: set[str] = set()
    out: list[Behavior] = []
    for row in table.rows:
        sid = _sample_id(table, row)
        if sid in seen:
            raise table.error(row, "sample_id", f"duplicate sample_id {sid}")
        seen.add(sid)
        code = table.text(row, "access_code")
        if not code.strip():
            raise table.error(row, "access_code", "empty access code; every defense needs one")
        attack = table.text(row, "attack")
        conversation, after = defense_turns(
            table.text(row, "pre_prompt"), table.text(row, "post_prompt")
        )
        pair_id = f"tensor-trust-{task}-{sid}"
        harmful_check = (
            {"check": CHECK_ACCESS_GRANTED}
            if task == "hijacking"
            else {"check": CHECK_SECRET, "secret": code}
        )
        sides: tuple[tuple[Side, str, str, dict[str, str]], ...] = (
            ("harmful", attack, "attack", harmful_check),
            ("benign", code, "access", {"check": CHECK_ACCESS_GRANTED}),
        )
        for side, text, suffix, check in sides:
            out.append(
                Behavior(
                    id=f"{pair_id}-{suffix}",
                    text=text,
                    side=side,
                    category=task,
                    source_category=task,
                    source=source,
                    pair_id=pair_id,
                    meta={"task": task, "sample_id": int(sid), **check},
                    conversation=conversation,
                    after=after,
                )
            )
    return out, sha256_hex(data)


@dataset("tensor-trust", info=INFO)
def tensor_trust(arg: str | None = None) -> Suite:
    """Tensor Trust v1: hijacking and/or extraction attacks, each with its access-code twin."""
    tasks = [t for t in TASKS if t in split_args(arg)] or list(TASKS)
    behaviors: list[Behavior] = []
    parts: list[tuple[str, str]] = []
    for task in tasks:
        found, digest = _behaviors(task)
        behaviors += found
        parts.append((_file(task).name, digest))
    name = "tensor-trust" if len(tasks) == 2 else f"tensor-trust:{tasks[0]}"
    checksum = parts[0][1] if len(parts) == 1 else combined_checksum(parts)
    version = sources.short_revision(sources.TENSOR_TRUST_HIJACKING)
    return make_suite(name, version, checksum, behaviors, INFO)
