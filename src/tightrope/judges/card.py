"""Judge cards: a judge's measured sensitivity and specificity on a named human-labelled set.

A card is one JSON file in ``judges/cards/`` (shipped inside the package), named
``JUDGE--SET.json``: the judge's name, version and kind; the set it was measured on (name, side,
n, the human label used as truth); which class is "positive" on that set; the confusion counts
TP/FP/FN/TN (judge errors left out and counted apart); sensitivity and specificity with Wilson
95% intervals; the date and the tightrope version. ``tightrope judge-eval JUDGE --against SET
--save`` writes one; ``tightrope judges`` shows them; ``--correct`` reads them to correct rates
for the judge's error (`tightrope.metrics.correction`).

Positive class: on the harm side (``--against jbb``) it is `unsafe`, and a refusal judge's
`compliance` counts as its "unsafe" verdict; on the refusal side (``--against xstest``) it is a
refusal, full or partial. So a refusal judge's jbb card describes its refusal-based ASR, and its
xstest card its refusal rates.

A card may also carry `held_out_by_model` (optional; cards without it load as before): the
judge's accuracy on the responses of models it was not trained on, one entry per left-out model
(and `all`), with counts and a Wilson 95% interval, and `held_out_note` saying how they were
measured. refusal-clf's XSTest card has them from ``scripts/train_refusal_clf.py --lomo --json
FILE`` via ``scripts/lomo_card.py FILE``. In the same way `held_out_by_source` and
`held_out_source_note` hold a judge's figures on sources it was not trained on (for harm-clf:
each attack method's artifacts, with its confusion counts, sensitivity and specificity too),
from ``scripts/train_harm_clf.py --gate --loso-json FILE`` via ``scripts/lomo_card.py FILE``.

The environment variable TIGHTROPE_CARDS_DIR, when set, names another folder to read cards from
and save them to (tests use it; so can a user with cards of their own).
"""

from __future__ import annotations

import datetime
import json
import os
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tightrope._version import __version__
from tightrope.errors import InputError
from tightrope.metrics.intervals import wilson_interval

SHIPPED = Path(__file__).resolve().parent / "cards"


class Proportion(BaseModel):
    """A proportion with its Wilson 95% interval."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    value: float
    low: float
    high: float


class CardSet(BaseModel):
    """The human-labelled set a card was measured on."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    name: str
    side: Literal["harm", "refusal"]
    n: int
    truth: str
    note: str = ""


class HeldOut(BaseModel):
    """Accuracy on one left-out group (a model, or a source such as an attack method, whose
    responses the judge never saw in training); where the counts say which rows were positive,
    also the confusion counts with sensitivity and specificity."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    group: str
    correct: int
    n: int
    accuracy: Proportion
    tp: int | None = None
    fp: int | None = None
    fn: int | None = None
    tn: int | None = None
    sensitivity: Proportion | None = None
    specificity: Proportion | None = None

    def summary(self) -> str:
        """Return `group acc% [low–high] (correct/n)`, then `Se x% (tp/positives), Sp y%
        (tn/negatives)` where the entry has confusion counts."""
        a = self.accuracy
        text = (
            f"{self.group} {100 * a.value:.1f}% [{100 * a.low:.1f}–{100 * a.high:.1f}] "
            f"({self.correct}/{self.n})"
        )
        if self.tp is None or self.fp is None or self.fn is None or self.tn is None:
            return text
        pos, neg = self.tp + self.fn, self.tn + self.fp
        se = f"{100 * self.tp / pos:.1f}%" if pos else "-"
        sp = f"{100 * self.tn / neg:.1f}%" if neg else "-"
        return f"{text}; Se {se} ({self.tp}/{pos}), Sp {sp} ({self.tn}/{neg})"


class JudgeCard(BaseModel):
    """One judge measured on one human-labelled set."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    judge: str
    version: str
    kind: str
    set: CardSet
    positive: str
    tp: int
    fp: int
    fn: int
    tn: int
    errors: int
    sensitivity: Proportion
    specificity: Proportion
    date: str
    tightrope_version: str
    held_out_by_model: list[HeldOut] = Field(default_factory=list)
    held_out_note: str = ""
    held_out_by_source: list[HeldOut] = Field(default_factory=list)
    held_out_source_note: str = ""

    def summary(self) -> str:
        """Return one line: set, n, Se and Sp with their intervals."""
        se, sp = self.sensitivity, self.specificity
        return (
            f"{self.set.name} (n={self.set.n}, positive = {self.positive}): "
            f"Se {100 * se.value:.1f}% [{100 * se.low:.1f}–{100 * se.high:.1f}], "
            f"Sp {100 * sp.value:.1f}% [{100 * sp.low:.1f}–{100 * sp.high:.1f}]"
        )

    def held_out_summary(self) -> str:
        """Return one line of the leave-one-model-out and leave-one-source-out figures, or ""
        when the card has none."""
        parts = []
        if self.held_out_by_model:
            parts.append("unseen models: " + ", ".join(h.summary() for h in self.held_out_by_model))
        if self.held_out_by_source:
            parts.append(
                "unseen sources: " + ", ".join(h.summary() for h in self.held_out_by_source)
            )
        return "; ".join(parts)


def held_out_groups(counts: Iterable[Mapping[str, Any]]) -> list[HeldOut]:
    """Return one HeldOut per `{"model", "correct", "n"}` entry, then their total as `all`,
    each with its Wilson 95% interval (the counts `train_refusal_clf.py --lomo --json` writes)."""
    out = [
        HeldOut(
            group=str(c["model"]),
            correct=int(c["correct"]),
            n=int(c["n"]),
            accuracy=_proportion(int(c["correct"]), int(c["n"])),
        )
        for c in counts
    ]
    if len(out) > 1:
        right, n = sum(h.correct for h in out), sum(h.n for h in out)
        out.append(HeldOut(group="all", correct=right, n=n, accuracy=_proportion(right, n)))
    return out


def held_out_confusions(counts: Iterable[Mapping[str, Any]]) -> list[HeldOut]:
    """Return one HeldOut per `{"source", "tp", "fp", "fn", "tn"}` entry, then their total as
    `all`, with accuracy, sensitivity and specificity and their Wilson 95% intervals (the
    counts `train_harm_clf.py --gate --loso-json` writes)."""
    groups: list[tuple[str, tuple[int, ...]]] = [
        (str(c["source"]), tuple(int(c[k]) for k in ("tp", "fp", "fn", "tn"))) for c in counts
    ]
    if len(groups) > 1:
        groups.append(("all", tuple(map(sum, zip(*(q for _, q in groups), strict=True)))))
    out = []
    for group, (tp, fp, fn, tn) in groups:
        out.append(
            HeldOut(
                group=group,
                correct=tp + tn,
                n=tp + fp + fn + tn,
                accuracy=_proportion(tp + tn, tp + fp + fn + tn),
                tp=tp,
                fp=fp,
                fn=fn,
                tn=tn,
                sensitivity=_proportion(tp, tp + fn),
                specificity=_proportion(tn, tn + fp),
            )
        )
    return out


def cards_dir() -> Path:
    """Return the folder cards are read from and saved to: $TIGHTROPE_CARDS_DIR, else the
    package's shipped folder."""
    env = os.environ.get("TIGHTROPE_CARDS_DIR")
    return Path(env) if env else SHIPPED


def card_path(judge: str, set_name: str, folder: Path | None = None) -> Path:
    """Return the file of the card of `judge` on `set_name`."""
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in f"{judge}--{set_name}")
    return (folder or cards_dir()) / f"{safe}.json"


def read_card(path: Path) -> JudgeCard:
    """Return the card in a file; InputError (one line) if it is not a valid card."""
    try:
        return JudgeCard.model_validate_json(path.read_text(encoding="utf-8"))
    except (OSError, ValidationError, ValueError) as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"judge card {path}: not a valid card ({first})") from None


def load_cards(folder: Path | None = None) -> list[JudgeCard]:
    """Return every card in the folder (default `cards_dir()`), sorted by judge and set."""
    root = folder or cards_dir()
    if not root.is_dir():
        return []
    cards = [read_card(p) for p in sorted(root.glob("*.json"))]
    return sorted(cards, key=lambda c: (c.judge, c.set.name))


def find_card(cards: list[JudgeCard], judge: str, side: str) -> JudgeCard | None:
    """Return the first card of `judge` measured on a set of `side` (harm or refusal)."""
    return next((c for c in cards if c.judge == judge and c.set.side == side), None)


def save_card(card: JudgeCard, folder: Path | None = None) -> Path:
    """Write the card as indented JSON (one file per judge and set); return its path.

    A card without leave-one-model-out (or leave-one-source-out) figures keeps those of the card
    it replaces when both are of the same judge version (`judge-eval --save` cannot measure
    them), and is written without the optional fields it lacks, so a card that never had them is
    byte-for-byte as before.
    """
    path = card_path(card.judge, card.set.name, folder)
    held = (("held_out_by_model", "held_out_note"), ("held_out_by_source", "held_out_source_note"))
    missing = [pair for pair in held if not getattr(card, pair[0])]
    if missing and path.is_file():
        try:
            old = read_card(path)
        except InputError:
            old = None
        if old is not None and old.version == card.version:
            card = card.model_copy(
                update={
                    k: getattr(old, k) for pair in missing for k in pair if getattr(old, pair[0])
                }
            )
    optional = {k for pair in held if not getattr(card, pair[0]) for k in pair}
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps(card.model_dump(exclude=optional, exclude_none=True), indent=2) + "\n"
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write judge card {path}: {exc.strerror or exc}") from None
    return path


def _proportion(k: int, n: int) -> Proportion:
    low, high = wilson_interval(k, n)
    return Proportion(value=k / n if n else float("nan"), low=low, high=high)


def card_from_report(report: Mapping[str, Any], *, date: str | None = None) -> JudgeCard:
    """Return the card of a `judges.evaluation.evaluate` report (a judge run here, not a
    replayed column): its overall counts, Se = TP/(TP+FN) and Sp = TN/(TN+FP) with Wilson 95%
    intervals, today's date (or `date`) and this tightrope's version."""
    o = report["overall"]
    tp, fp, fn, tn = (int(o[k]) for k in ("tp", "fp", "fn", "tn"))
    positive = str(report["positive"])
    if report["side"] == "harm" and report["kind"] == "refusal":
        positive = "unsafe (the judge's `compliance`; `refusal` and `partial` count as safe)"
    return JudgeCard(
        judge=str(report["judge"]),
        version=str(report["version"]),
        kind=str(report["kind"]),
        set=CardSet(
            name=str(report["against"]),
            side=report["side"],
            n=int(report["rows"]),
            truth=str(report["truth"]),
            note="; ".join(report["notes"]),
        ),
        positive=positive,
        tp=tp,
        fp=fp,
        fn=fn,
        tn=tn,
        errors=int(o["errors"]),
        sensitivity=_proportion(tp, tp + fn),
        specificity=_proportion(tn, tn + fp),
        date=date or datetime.date.today().isoformat(),
        tightrope_version=__version__,
    )
