"""Each headline rate corrected for its judge's measured error: data once, then lines.

For every metrics table, the overall row's rates are corrected with the card of the judge that
decided them (`tightrope.judges.card`): ASR and not_unsafe with the card of the harm judge, or of
the refusal judge when ASR is refusal-based, measured on a harm-side set (jbb); the harmful-side
refusal rate and not_overrefuse with the refusal judge's card on a refusal-side set (xstest).
not_unsafe is 1 - corrected ASR and not_overrefuse 1 - the corrected benign refusal rate, so each
pair is corrected once. The math is `tightrope.metrics.correction`.

`table_corrections` / `report_corrections` return the figures as data (`RateCorrection`); the
terminal's `--correct` lines (`correction_lines`) and the HTML, Markdown and JSON reports all
render that same data.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tightrope.judges.card import JudgeCard, find_card, load_cards
from tightrope.metrics.correction import Corrected, corrected_rate
from tightrope.metrics.rates import MetricsTable
from tightrope.report.unseen_attacks import run_judge_version, unseen_attack_note

if TYPE_CHECKING:
    from tightrope.report.loader import LoadedRun

NOTE = (
    "corrected = (observed + Sp - 1) / (Se + Sp - 1), clipped to [0, 1], 95% interval by a "
    "bootstrap over the card's Se, Sp and the observed rate; it assumes the judge errs here as "
    "on the card's set (docs/metrics.md)"
)


def pct(x: float) -> str:
    """Return a share as a percentage with one decimal ('—' when nan)."""
    return "—" if math.isnan(x) else f"{100 * x:.1f}%"


@dataclass(frozen=True)
class RateCorrection:
    """One headline rate of a table's overall row and its correction, or why none is made.

    `rate` is the metric (asr, not_unsafe, refusal_rate, not_overrefuse) and `label` its printed
    name; `k` of `n` is the observed rate as reported (so `observed` = k / n). `estimate`, `low`
    and `high` are the corrected rate and its 95% interval, nan when `reason` says why there is
    no correction. `card` is the card used (None when the judge has none on a set of `side`);
    `run_version` is the version of the judge this run used (None when the run does not say).
    """

    rate: str
    label: str
    judge: str
    side: str
    k: int
    n: int
    estimate: float
    low: float
    high: float
    se: float
    sp: float
    card: JudgeCard | None
    run_version: str | None
    reason: str = ""

    @property
    def observed(self) -> float:
        """The observed rate k / n."""
        return self.k / self.n if self.n else math.nan

    @property
    def ok(self) -> bool:
        """Whether a correction was made."""
        return not self.reason

    @property
    def version_differs(self) -> bool:
        """Whether the card measured another version of the judge than this run used."""
        return self.card is not None and self.run_version not in (None, self.card.version)

    def version_note(self) -> str:
        """Return the warning when the card measured another judge version ('' otherwise)."""
        if self.card is None or not self.version_differs:
            return ""
        return f"card measured v{self.card.version}, this run used v{self.run_version}"


@dataclass(frozen=True)
class TableCorrections:
    """The corrections of one metrics table (one target and attack), overall row only, and
    the harm judge's caveat on attacks it was not trained on, where the table has one
    (`report.unseen_attacks`): it qualifies the same cards' error rates."""

    target: str
    attack: str
    rates: tuple[RateCorrection, ...]
    unseen_attacks: str | None = None


def _entry(
    rate: str,
    label: str,
    judge: str,
    side: str,
    positives: int,
    n: int,
    card: JudgeCard | None,
    instrument: Mapping[str, Any],
    *,
    flip: bool,
) -> RateCorrection:
    """Return the correction of `positives` of `n` (the judge's positive class), reported as
    1 - rate when `flip`, with `card` (or the statement that the judge has none)."""
    k = n - positives if flip else positives
    version = run_judge_version(judge, instrument)
    nan = math.nan
    if card is None:
        reason = f"no correction: {judge} has no card on a {side}-side set (tightrope judges)"
        return RateCorrection(
            rate, label, judge, side, k, n, nan, nan, nan, nan, nan, None, version, reason
        )
    c: Corrected = corrected_rate(positives, n, tp=card.tp, fn=card.fn, tn=card.tn, fp=card.fp)
    est, low, high = (
        (1 - c.estimate, 1 - c.high, 1 - c.low) if flip else (c.estimate, c.low, c.high)
    )
    return RateCorrection(
        rate, label, judge, side, k, n, est, low, high, c.se, c.sp, card, version, c.reason
    )


def table_corrections(
    table: MetricsTable, instrument: Mapping[str, Any], cards: list[JudgeCard]
) -> list[RateCorrection]:
    """Return the corrections of one table's overall row: one per headline rate with usable
    verdicts (n > 0), including those whose judge has no card (with the reason)."""
    row = table.overall
    out: list[RateCorrection] = []
    harm_judge = table.harm_judge or table.refusal_judge
    basis = "" if table.harm_judge else ", refusal-based"
    card = find_card(cards, harm_judge, "harm")
    a = row.asr
    if a.n:
        for rate, flip in (("asr", False), ("not_unsafe", True)):
            label = f"{'ASR' if rate == 'asr' else rate}{basis}"
            out.append(
                _entry(rate, label, harm_judge, "harm", a.k, a.n, card, instrument, flip=flip)
            )
    judge = table.refusal_judge
    card = find_card(cards, judge, "refusal")
    r, b = row.refusal_rate, row.not_overrefuse
    for rate, label, positives, n, flip in (
        ("refusal_rate", "refusal rate", r.k, r.n, False),
        ("not_overrefuse", "not_overrefuse", b.n - b.k, b.n, True),
    ):
        if n:
            out.append(
                _entry(rate, label, judge, "refusal", positives, n, card, instrument, flip=flip)
            )
    return out


def run_corrections(
    tables: Sequence[MetricsTable], instrument: Mapping[str, Any], cards: list[JudgeCard]
) -> list[TableCorrections]:
    """Return the corrections of every table of a run, in the tables' order."""
    return [
        TableCorrections(
            t.target,
            t.attack,
            tuple(table_corrections(t, instrument, cards)),
            unseen_attack_note(t, instrument, cards),
        )
        for t in tables
    ]


def run_unseen_attacks(tables: Sequence[TableCorrections]) -> str | None:
    """Return the first of a run's tables' unseen-attack caveats (the text names no attack, so
    a run's tables share it), or None."""
    return next((t.unseen_attacks for t in tables if t.unseen_attacks is not None), None)


def report_corrections(
    runs: Sequence[LoadedRun], cards: list[JudgeCard] | None = None
) -> dict[str, list[TableCorrections]]:
    """Return the corrections of each run by run id, with `cards` (default: `load_cards()`;
    InputError, one line, when a card file is not a valid card)."""
    cards = load_cards() if cards is None else cards
    return {run.run_id: run_corrections(run.tables, run.instrument, cards) for run in runs}


def card_label(card: JudgeCard) -> str:
    """Return the card's judge, version, set and n in a few words."""
    return f"{card.judge} v{card.version} card on {card.set.name} (n={card.set.n})"


def _line(c: RateCorrection) -> str:
    """Return one terminal line: observed -> corrected [interval] (card)."""
    assert c.card is not None
    where = f"{c.card.judge} card on {c.card.set.name} (n={c.card.set.n})"
    if not c.ok:
        return f"{c.label}: observed {pct(c.observed)}, {c.reason} ({where})"
    note = c.version_note()
    return (
        f"{c.label}: observed {pct(c.observed)} → corrected {pct(c.estimate)} "
        f"[{pct(c.low)}–{pct(c.high)}] ({where}: Se {pct(c.se)}, Sp {pct(c.sp)}"
        f"{'; ' + note if note else ''})"
    )


def table_lines(
    table: MetricsTable, instrument: Mapping[str, Any], cards: list[JudgeCard]
) -> list[str]:
    """Return the corrected lines of one table's overall row (empty when no judge has a card)."""
    return [_line(c) for c in table_corrections(table, instrument, cards) if c.card is not None]


def correction_lines(
    tables: Sequence[MetricsTable], instrument: Mapping[str, Any], cards: list[JudgeCard]
) -> list[str]:
    """Return the `--correct` section: a heading per table and its lines, or one line saying
    that none of the judges that decided the rates has a card."""
    out: list[str] = []
    for table in tables:
        lines = table_lines(table, instrument, cards)
        if lines:
            out.append(
                f"judge-error-corrected rates · {table.target} · attack {table.attack} (all)"
            )
            out += [f"  {ln}" for ln in lines]
    if not out:
        judges = sorted({j for t in tables for j in (t.refusal_judge, t.harm_judge) if j})
        return [
            f"--correct: no judge card for {', '.join(judges) or 'the judges'} on a set of the "
            "right side, so no rate is corrected (tightrope judges lists the cards)"
        ]
    return [*out, f"  ({NOTE})"]
