"""Anthropic's red-team prompts (Ganguli et al. 2022; Bai et al. 2022), from hh-rlhf.

Two sources, both harmful side only, each prompt the first Human turn of a dialogue (as HELM's
`anthropic_red_team` scenario takes it), identical prompts kept once (the first occurrence):

* `anthropic-red-team` (`:attempts`): `red-team-attempts/red_team_attempts.jsonl.gz`, 38,961
  red-team transcripts, at the Hugging Face revision HELM Safety pins. The file is large and
  has no pinned hash: it is trusted on first download and its hash recorded (remote.py).
* `anthropic-red-team:harmless-base`: `harmless-base/test.jsonl.gz` (2,312 dialogues of
  crowdworkers trying to elicit harm, `chosen`/`rejected` transcripts sharing their first
  turn), pinned by commit and SHA-256: a smaller suite from the same red-teaming effort.

Categories: red-team attempts carry annotators' `tags` on a few transcripts, mapped through
mapping.py (the first tag that names a hazard decides); every other prompt, and every
harmless-base prompt, is `unspecified` (taxonomy.UNSPECIFIED) with a note on the suite.
"""

from __future__ import annotations

import gzip
import json
import re
from typing import Any

from tightrope.datasets import sources
from tightrope.datasets._base import DatasetInfo, Suite, dataset, make_suite, sha256_hex
from tightrope.datasets.mapping import map_category
from tightrope.datasets.remote import RemoteFile, local_path, read_verified
from tightrope.datasets.taxonomy import UNSPECIFIED
from tightrope.errors import InputError
from tightrope.records import Behavior

CONFIGS = ("attempts", "harmless-base")
# Tags that name no hazard.
NO_HAZARD_TAGS = frozenset({"n/a - invalid attempt", "other"})
_TURN = re.compile(r"\n\nHuman: |\n\nAssistant: ")


def _check(arg: str | None) -> None:
    if arg not in (None, "", *CONFIGS):
        raise InputError(f"unknown anthropic-red-team config {arg!r}; valid: {', '.join(CONFIGS)}")


INFO = DatasetInfo(
    rows="38,961 red-team transcripts (attempts, default) / 2,312 dialogues (harmless-base "
    "test); first Human turn, deduplicated; harmful",
    license="MIT",
    citation="Ganguli et al., Red Teaming Language Models to Reduce Harms, 2022 "
    "(arXiv:2209.07858); Bai et al., Training a Helpful and Harmless Assistant with RLHF, 2022 "
    "(arXiv:2204.05862)",
    url="https://github.com/anthropics/hh-rlhf",
    files=("anthropic-red-team",),
    args="[attempts|harmless-base]",
    check=_check,
)


def first_human_turn(transcript: str) -> str:
    """Return the first utterance of an hh-rlhf transcript ('' when it has none).

    Transcripts read "\\n\\nHuman: ...\\n\\nAssistant: ..."; the first non-blank piece between
    the markers is the red-teamer's opening request (HELM's rule).
    """
    for piece in _TURN.split(transcript.strip(" ")):
        if piece.strip():
            return piece.strip()
    return ""


def _records(f: RemoteFile) -> tuple[list[dict[str, Any]], str]:
    """Return the JSON objects of a gzipped hh-rlhf file (JSON lines or one JSON array)."""
    data = read_verified(f)
    path = local_path(f)
    try:
        text = gzip.decompress(data).decode("utf-8")
    except (OSError, EOFError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: not a gzipped UTF-8 file ({exc}); fetch it again") from None
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        rows = [(i + 1, r) for i, r in enumerate(items)]
    else:
        rows = []
        for n, line in enumerate(text.splitlines(), start=1):
            if line.strip():
                try:
                    rows.append((n, json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise InputError(f"{path}:{n}: not JSON ({exc.msg})") from None
    out = []
    for n, r in rows:
        if not isinstance(r, dict):
            raise InputError(f"{path}: record {n} is not a JSON object")
        out.append({**r, "_n": n})
    return out, sha256_hex(data)


def _category(tags: list[str], where: str) -> str:
    for tag in tags:
        if tag.strip().lower() not in NO_HAZARD_TAGS:
            return map_category("anthropic-red-team", tag, where=where)
    return UNSPECIFIED


@dataset("anthropic-red-team", info=INFO)
def anthropic_red_team(arg: str | None = None) -> Suite:
    """Anthropic red-team prompts: red-team attempts (default) or the harmless-base test set."""
    harmless = arg == "harmless-base"
    f = sources.HH_HARMLESS_BASE if harmless else sources.HH_RED_TEAM
    field = "chosen" if harmless else "transcript"
    records, digest = _records(f)
    path = local_path(f)
    seen: set[str] = set()
    behaviors = []
    for r in records:
        where = f"{path}:{r['_n']}"
        transcript = r.get(field)
        if not isinstance(transcript, str):
            raise InputError(f"{where}: no {field!r} transcript; is this an hh-rlhf file?")
        prompt = first_human_turn(transcript)
        if not prompt or prompt in seen:
            continue
        seen.add(prompt)
        tags = [str(t) for t in (r.get("tags") or [])]
        meta: dict[str, Any] = {"line": r["_n"]}
        if not harmless:
            meta.update(
                {k: r[k] for k in ("rating", "model_type", "num_params") if r.get(k) is not None}
            )
            if tags:
                meta["tags"] = tags
        name = "harmless-base" if harmless else "attempts"
        behaviors.append(
            Behavior(
                id=f"anthropic-red-team-{name}-{r['_n']}",
                text=prompt,
                side="harmful",
                category=_category(tags, where),
                source_category="; ".join(tags),
                source=f"anthropic-red-team@{f.revision[:8]}",
                meta=meta,
            )
        )
    unspecified = sum(b.category == UNSPECIFIED for b in behaviors)
    notes = (
        f"anthropic-red-team: {unspecified} of {len(behaviors)} prompts have no hazard category "
        f"in the data (category '{UNSPECIFIED}'); {len(records) - len(behaviors)} repeated or "
        "empty first turns left out",
    )
    version = f.revision[:8]
    return make_suite("anthropic-red-team", version, digest, behaviors, INFO, notes=notes)
