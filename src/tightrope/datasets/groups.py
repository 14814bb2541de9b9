"""Suite groups: one name for several suites, each loaded, sampled and limited on its own.

`--suite helm-safety` names HELM Safety v1.0's five benchmarks. A run expands a group into its
member specs before loading (`expand_suites`), so `--limit 4` takes four behaviors of each
member, not four of the first. The group is also a registered suite (its members' behaviors
in one suite), so `datasets list` shows it and `load_suite("helm-safety")` works.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from tightrope.datasets import sources
from tightrope.datasets._base import (
    DatasetInfo,
    Suite,
    combined_checksum,
    dataset,
    load_suite,
    make_suite,
)
from tightrope.datasets.bbq import CATEGORIES as BBQ_CATEGORIES
from tightrope.datasets.remote import RemoteFile, data_dir, is_present, offline

HELM_SAFETY = "helm-safety"


def _obtainable(f: RemoteFile) -> bool:
    """Return True when `f` can be read: present locally, or downloadable (no mirror, online)."""
    return is_present(f) or (data_dir() is None and not offline())


def helm_safety_members() -> tuple[list[str], list[str]]:
    """Return HELM Safety's five suite specs and notes on where they differ from HELM's.

    HarmBench is all 400 rows as HELM reads them (copyright included); BBQ is every category
    that can be read (all 11 when downloads are possible; in a mirror, those it holds); the
    Anthropic red-team prompts are `red-team-attempts` when that file can be read, else the
    smaller `harmless-base` test set, and the notes say so.
    """
    notes: list[str] = []
    bbq = [c for c in BBQ_CATEGORIES if _obtainable(sources.BBQ[c])]
    if len(bbq) < len(BBQ_CATEGORIES):
        missing = sorted(set(BBQ_CATEGORIES) - set(bbq))
        notes.append(
            f"helm-safety: BBQ categories {', '.join(missing)} are not available here; BBQ "
            f"runs on {len(bbq)} of 11 (HELM uses all 11)"
        )
    red_team = "anthropic-red-team"
    if not _obtainable(sources.HH_RED_TEAM):
        red_team = "anthropic-red-team:harmless-base"
        notes.append(
            "helm-safety: hh-rlhf red-team-attempts is not available here; the Anthropic red-team "
            "benchmark uses the harmless-base test prompts instead (HELM uses red-team-attempts; "
            "`tightrope datasets fetch anthropic-red-team` on a connected machine)"
        )
    specs = [
        "harmbench:all,copyright",
        "simplesafetytests",
        "bbq" if len(bbq) in (0, len(BBQ_CATEGORIES)) else "bbq:" + ",".join(bbq),
        "xstest",
        red_team,
    ]
    return specs, notes


GROUPS: dict[str, Callable[[], tuple[list[str], list[str]]]] = {
    HELM_SAFETY: helm_safety_members,
}


def expand_suites(specs: Sequence[str]) -> tuple[list[str], list[str]]:
    """Return `specs` with every group replaced by its members, and the groups' notes."""
    out: list[str] = []
    notes: list[str] = []
    for spec in specs:
        group = GROUPS.get(spec.strip())
        if group is None:
            out.append(spec)
            continue
        members, group_notes = group()
        out += members
        notes += group_notes
    return out, notes


INFO = DatasetInfo(
    rows="HELM Safety v1.0's five benchmarks: harmbench:all,copyright (400), simplesafetytests "
    "(100), bbq (58,492), xstest (450), anthropic-red-team (38,961 transcripts)",
    license="each member's own (MIT, CC-BY-4.0)",
    citation="Kaiyom et al., HELM Safety: Towards Standardized Safety Evaluations of Language "
    "Models, Stanford CRFM, 2024 (crfm.stanford.edu/2024/11/08/helm-safety.html)",
    url="https://crfm.stanford.edu/helm/safety/latest/",
    files=("harmbench", "simplesafetytests", "bbq", "xstest", "anthropic-red-team"),
)


@dataset(HELM_SAFETY, info=INFO)
def helm_safety() -> Suite:
    """HELM Safety's five benchmarks as one suite (a run loads them one by one instead)."""
    specs, notes = helm_safety_members()
    suites = [load_suite(s) for s in specs]
    checksum = combined_checksum([(s.name, s.checksum) for s in suites])
    behaviors = [b for s in suites for b in s.behaviors]
    return make_suite(
        HELM_SAFETY,
        "1.0",
        checksum,
        behaviors,
        INFO,
        notes=tuple(notes) + tuple(n for s in suites for n in s.notes),
    )
