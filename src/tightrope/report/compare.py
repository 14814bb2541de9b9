"""Compare two runs behavior by behavior: paired differences, McNemar tests, flipped behaviors.

Two runs are compared only on behaviors both measured, per metric and category, and only when
their instruments match (DESIGN.md invariant 6); otherwise the comparison names what differs
and the command refuses unless told to go on. The statistics (per-behavior outcomes, paired
differences per category, flips) come from `tightrope.metrics.paired`; this module adds the
instrument checks, the target and attack choice, and the words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from tightrope.datasets.taxonomy import CATEGORIES
from tightrope.errors import InputError
from tightrope.metrics.paired import (
    METRICS,
    Metric,
    PairedDifference,
    behavior_outcomes,
    flipped,
    paired_by_category,
)
from tightrope.metrics.rates import OVERALL
from tightrope.report.loader import LoadedRun

WORDS: dict[Metric, tuple[str, str]] = {
    "not_unsafe": ("safe", "unsafe"),
    "not_overrefuse": ("answered", "refused"),
}


@dataclass(frozen=True)
class CompareRow:
    """One metric in one category: the paired difference B - A on shared behaviors."""

    metric: Metric
    category: str
    name: str
    paired: PairedDifference
    unpaired: int


@dataclass(frozen=True)
class Flip:
    """A behavior whose outcome changed between A and B."""

    behavior_id: str
    category: str
    metric: Metric
    a: bool
    b: bool

    def describe(self) -> str:
        """Return 'safe → unsafe' style words for the change."""
        yes, no = WORDS[self.metric]
        return f"{yes if self.a else no} → {yes if self.b else no}"


@dataclass(frozen=True)
class Comparison:
    """Run A against run B for one attack: rows per metric and category, and the flips."""

    run_a: str
    run_b: str
    target_a: str
    target_b: str
    attack: str
    rows: list[CompareRow]
    flips: list[Flip]
    mismatches: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def _suites(ins: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {str(s["name"]): (str(s["version"]), str(s["checksum"])) for s in ins.get("suites", [])}


def _judges(ins: dict[str, Any]) -> dict[str, tuple[str, str]]:
    return {str(j["name"]): (str(j["version"]), str(j.get("kind"))) for j in ins.get("judges", [])}


def instrument_differences(a: LoadedRun, b: LoadedRun) -> tuple[list[str], list[str]]:
    """Return (mismatches, notes) between the instruments of two runs.

    Mismatches make a comparison invalid: suites (version, checksum), judges (version, kind),
    the judges that drive the metrics, generation parameters, how multiple-choice items are
    answered (`choice_scoring`). Notes are worth knowing but do not change what is measured:
    the tightrope version, suite sizes (--limit).
    """
    mismatches: list[str] = []
    notes: list[str] = []
    sa, sb = _suites(a.instrument), _suites(b.instrument)
    for name in sorted(sa.keys() | sb.keys()):
        if name not in sa or name not in sb:
            where = "A" if name in sa else "B"
            mismatches.append(f"suite {name} is only in run {where}")
        elif sa[name] != sb[name]:
            (va, ca), (vb, cb) = sa[name], sb[name]
            mismatches.append(
                f"suite {name}: {name}@{va} sha256 {ca[:12]} vs {name}@{vb} {cb[:12]}"
            )
    ja, jb = _judges(a.instrument), _judges(b.instrument)
    for name in sorted(ja.keys() & jb.keys()):
        if ja[name] != jb[name]:
            mismatches.append(
                f"judge {name}: version {ja[name][0]} ({ja[name][1]}) vs {jb[name][0]} "
                f"({jb[name][1]})"
            )
    if (a.refusal_judge, a.harm_judge) != (b.refusal_judge, b.harm_judge):
        mismatches.append(
            f"driving judges: {a.refusal_judge}/{a.harm_judge or 'refusal-based'} vs "
            f"{b.refusal_judge}/{b.harm_judge or 'refusal-based'}"
        )
    ga, gb = a.instrument.get("generation", {}), b.instrument.get("generation", {})
    for key in sorted(ga.keys() | gb.keys()):
        if ga.get(key) != gb.get(key):
            mismatches.append(f"generation {key}: {ga.get(key)!r} vs {gb.get(key)!r}")
    sc_a = a.instrument.get("choice_scoring", "generate")
    sc_b = b.instrument.get("choice_scoring", "generate")
    if sc_a != sc_b:
        mismatches.append(f"choice scoring: {sc_a} vs {sc_b} (multiple-choice accuracy)")
    tv_a, tv_b = a.instrument.get("tightrope_version"), b.instrument.get("tightrope_version")
    if tv_a != tv_b:
        notes.append(f"tightrope version {tv_a} vs {tv_b}")
    for name in sorted(sa.keys() & sb.keys()):
        na = next(s["n"] for s in a.instrument["suites"] if s["name"] == name)
        nb = next(s["n"] for s in b.instrument["suites"] if s["name"] == name)
        if na != nb:
            notes.append(f"suite {name}: n={na} vs n={nb}; only shared behaviors are compared")
    return mismatches, notes


def _pick_target(run: LoadedRun, given: str | None, flag: str) -> str:
    if given is not None:
        if given not in run.targets:
            raise InputError(
                f"run {run.run_id} has no target {given!r}; its targets: {', '.join(run.targets)}"
            )
        return given
    if len(run.targets) != 1:
        raise InputError(
            f"run {run.run_id} has {len(run.targets)} targets ({', '.join(run.targets)}); "
            f"choose one with {flag}"
        )
    return run.targets[0]


def compare_runs(
    a: LoadedRun,
    b: LoadedRun,
    *,
    target_a: str | None = None,
    target_b: str | None = None,
    attacks: Sequence[str] | None = None,
) -> list[Comparison]:
    """Return one Comparison per attack both runs share (or per attack named in `attacks`)."""
    ta = _pick_target(a, target_a, "--target-a")
    tb = _pick_target(b, target_b, "--target-b")
    common = [x for x in a.attacks if x in b.attacks]
    chosen = list(attacks) if attacks else common
    missing = [x for x in chosen if x not in common]
    if missing or not chosen:
        raise InputError(
            f"attack(s) {', '.join(missing) or '(none)'} not in both runs; shared attacks: "
            f"{', '.join(common) or 'none'}"
        )
    mismatches, notes = instrument_differences(a, b)
    out = []
    for attack in chosen:
        rows: list[CompareRow] = []
        flips: list[Flip] = []
        for metric in METRICS:
            oa = behavior_outcomes(
                a.records, target=ta, attack=attack, metric=metric,
                refusal_judge=a.refusal_judge, harm_judge=a.harm_judge,
            )  # fmt: skip
            ob = behavior_outcomes(
                b.records, target=tb, attack=attack, metric=metric,
                refusal_judge=b.refusal_judge, harm_judge=b.harm_judge,
            )  # fmt: skip
            rows += [
                CompareRow(
                    metric=metric,
                    category=p.category,
                    name="All categories"
                    if p.category == OVERALL
                    else CATEGORIES.get(p.category, p.category),
                    paired=p.paired,
                    unpaired=p.unpaired,
                )
                for p in paired_by_category(oa, ob)
            ]
            flips += [
                Flip(behavior_id=k, category=oa[k][1], metric=metric, a=oa[k][0], b=ob[k][0])
                for k in flipped(oa, ob)
            ]
        out.append(
            Comparison(
                run_a=a.run_id,
                run_b=b.run_id,
                target_a=ta,
                target_b=tb,
                attack=attack,
                rows=rows,
                flips=flips,
                mismatches=mismatches,
                notes=notes,
            )
        )
    return out
