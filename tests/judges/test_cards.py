"""Judge cards (issue 13, item 3): the shipped cards are what the judges measure today, they are
valid and honest about their rows, `judge-eval --save` writes them and `tightrope judges`
lists every judge with its card."""

from __future__ import annotations

import json
import tomllib
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.judges import get_judge
from tightrope.judges.card import (
    SHIPPED,
    card_from_report,
    held_out_confusions,
    held_out_groups,
    load_cards,
    save_card,
)
from tightrope.judges.evaluation import evaluate
from tightrope.metrics.intervals import wilson_interval

ROOT = Path(__file__).resolve().parents[2]
FAST = ("refusal", "gcg-strings", "jbb-strings", "xstest-strings")


BUILT_IN = (
    "refusal",
    "refusal-clf",
    "harm-clf",
    "gcg-strings",
    "jbb-strings",
    "xstest-strings",
    "harmbench-cls",
    "harmbench-chat",
    "jbb-jailbreak",
    "jbb-refusal",
    "strongreject",
    "xstest-3class",
    "llamaguard3",
    "llamaguard-chat",
    "pair-rating",
)


def test_every_shipped_card_is_valid_and_consistent() -> None:
    cards = load_cards(SHIPPED)
    names = {(c.judge, c.set.name) for c in cards}
    for judge in FAST:
        assert {(judge, "jbb"), (judge, "xstest")} <= names
    for c in cards:
        assert c.tp + c.fp + c.fn + c.tn + c.errors == c.set.n
        assert c.sensitivity.value == pytest.approx(c.tp / (c.tp + c.fn))
        assert c.specificity.value == pytest.approx(c.tn / (c.tn + c.fp))
        lo, hi = wilson_interval(c.tp, c.tp + c.fn)
        assert (c.sensitivity.low, c.sensitivity.high) == pytest.approx((lo, hi))
        lo, hi = wilson_interval(c.tn, c.tn + c.fp)
        assert (c.specificity.low, c.specificity.high) == pytest.approx((lo, hi))
        assert c.positive.startswith("unsafe" if c.set.side == "harm" else "refusal")
        if c.kind == "refusal" and c.set.side == "harm":
            assert "compliance" in c.positive


def test_refusal_clf_card_never_counts_its_training_rows() -> None:
    clf = [c for c in load_cards(SHIPPED) if c.judge == "refusal-clf" and c.set.name == "xstest"]
    for c in clf:
        assert c.set.n == 666 and "held-out" in c.set.note


def test_rule_judge_xstest_card_says_in_sample() -> None:
    (card,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == ("refusal", "xstest")]
    assert "in-sample" in card.set.note


@pytest.mark.parametrize("judge", FAST)
@pytest.mark.parametrize("against", ["jbb", "xstest"])
def test_shipped_cards_match_the_judge_today(shared_data: Path, judge: str, against: str) -> None:
    """A judge changed without its card regenerated fails here (judge-eval --save fixes it)."""
    (shipped,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == (judge, against)]
    report = evaluate(judge, against, data_dir=str(shared_data), n_boot=10)
    fresh = card_from_report(report, date=shipped.date)
    assert fresh.model_copy(update={"tightrope_version": shipped.tightrope_version}) == shipped
    assert shipped.version == get_judge(judge).version


def test_judge_eval_save_writes_a_card(shared_data: Path, tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    r = tightrope("judge-eval", "gcg-strings", "--against", "jbb", "--data-dir", str(shared_data),
                  "--save", cwd=tmp_path, TIGHTROPE_CARDS_DIR=str(cards))  # fmt: skip
    assert r.returncode == 0, r.stderr
    assert "wrote card" in r.stdout
    (card,) = load_cards(cards)
    assert (card.judge, card.set.name, card.set.n) == ("gcg-strings", "jbb", 300)
    assert (card.tp, card.fp, card.fn, card.tn) == (100, 122, 10, 68)  # docs/judges.md's row
    listing = tightrope("judges", cwd=tmp_path, TIGHTROPE_CARDS_DIR=str(cards))
    assert listing.returncode == 0, listing.stderr
    # The built-in judges, as a fresh process registers them (other tests register test-only
    # judges in this process, which the listing's subprocess never sees).
    for name in BUILT_IN:
        assert name in listing.stdout
    assert "Se 90.9%" in listing.stdout and "Sp 35.8%" in listing.stdout
    assert "learned" in listing.stdout and "LLM" in listing.stdout
    for bad in (("--stored-column", "gpt4_cf"), ("--all-rows",)):
        r = tightrope("judge-eval", "gcg-strings", "--against", "jbb", "--data-dir",
                      str(shared_data), "--save", *bad, cwd=tmp_path,
                      TIGHTROPE_CARDS_DIR=str(cards))  # fmt: skip
        assert r.returncode == 2 and len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert "--save" in r.stderr


def test_cards_ship_in_the_package() -> None:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "judges/cards/*.json" in data["tool"]["setuptools"]["package-data"]["tightrope"]
    assert SHIPPED.name == "cards" and SHIPPED.parent.name == "judges"


def test_refusal_clf_card_carries_leave_one_model_out_figures() -> None:
    """Issue 13, item 7: the card's unseen-model figures, consistent with their counts."""
    (card,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == ("refusal-clf", "xstest")]
    groups = {h.group: h for h in card.held_out_by_model}
    assert list(groups) == ["gpt4", "llama2orig", "mistralinstruct", "all"]
    assert [groups[m].n for m in ("gpt4", "llama2orig", "mistralinstruct")] == [222] * 3
    assert groups["all"].correct == sum(groups[m].correct for m in groups if m != "all")
    assert groups["all"].n == 666
    for h in card.held_out_by_model:
        assert h.accuracy.value == pytest.approx(h.correct / h.n)
        assert (h.accuracy.low, h.accuracy.high) == pytest.approx(wilson_interval(h.correct, h.n))
    assert "leave-one-model-out" in card.held_out_note and "--lomo --json" in card.held_out_note
    # Written from the training script's machine-readable output, kept beside it.
    lomo = json.loads((ROOT / "scripts" / "refusal_clf_lomo.json").read_text("utf-8"))
    assert held_out_groups(lomo["views"]["unseen_model_and_prompts"]) == card.held_out_by_model


def test_held_out_confusions_against_hand_computed_figures() -> None:
    groups = held_out_confusions(
        [
            {"source": "a", "tp": 3, "fp": 1, "fn": 1, "tn": 5},
            {"source": "b", "tp": 0, "fp": 0, "fn": 2, "tn": 2},
        ]
    )
    a, b, total = groups
    assert [g.group for g in groups] == ["a", "b", "all"]
    assert (a.correct, a.n, a.accuracy.value) == (8, 10, 0.8)
    assert (a.sensitivity and a.sensitivity.value, a.specificity and a.specificity.value) == (
        0.75,
        pytest.approx(5 / 6),
    )
    assert (total.tp, total.fp, total.fn, total.tn, total.correct, total.n) == (3, 1, 3, 7, 10, 14)
    assert b.sensitivity is not None and b.sensitivity.value == 0.0
    assert (b.sensitivity.low, b.sensitivity.high) == pytest.approx(wilson_interval(0, 2))
    assert a.summary() == "a 80.0% [49.0–94.3] (8/10); Se 75.0% (3/4), Sp 83.3% (5/6)"
    # An entry without confusion counts (leave-one-model-out) reads as before.
    (plain, *_) = held_out_groups([{"model": "m", "correct": 8, "n": 10}])
    assert plain.summary() == "m 80.0% [49.0–94.3] (8/10)"


def test_harm_clf_card_carries_leave_one_source_out_figures() -> None:
    """Issue 13, item 1: the figures on attack methods harm-clf was not trained on, consistent
    with the counts the training script wrote, and saying whose labels they are measured on."""
    (card,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == ("harm-clf", "jbb")]
    groups = {h.group: h for h in card.held_out_by_source}
    assert list(groups) == ["PAIR", "JBC", "prompt_with_random_search", "all"]
    for h in card.held_out_by_source:
        assert h.tp is not None and h.fp is not None and h.fn is not None and h.tn is not None
        assert h.correct == h.tp + h.tn and h.n == h.tp + h.fp + h.fn + h.tn
        assert h.sensitivity is not None and h.specificity is not None
        assert h.sensitivity.value == pytest.approx(h.tp / (h.tp + h.fn))
        assert (h.specificity.low, h.specificity.high) == pytest.approx(
            wilson_interval(h.tn, h.tn + h.fp)
        )
    assert groups["all"].n == sum(groups[m].n for m in groups if m != "all")
    assert "Llama-3-70B" in card.held_out_source_note and "not a human" in card.held_out_source_note
    loso = json.loads((ROOT / "scripts" / "harm_clf_loso.json").read_text("utf-8"))
    assert held_out_confusions(loso["sources"]) == card.held_out_by_source
    assert card.held_out_by_model == []


def test_cards_without_held_out_figures_still_load_and_save_unchanged(tmp_path: Path) -> None:
    (gcg,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == ("gcg-strings", "jbb")]
    assert "held_out_by_model" not in (SHIPPED / "gcg-strings--jbb.json").read_text("utf-8")
    assert gcg.held_out_by_model == [] and gcg.held_out_note == ""
    path = save_card(gcg, tmp_path)
    assert path.read_bytes() == (SHIPPED / "gcg-strings--jbb.json").read_bytes()


def test_saving_a_card_keeps_held_out_figures_of_the_same_version(tmp_path: Path) -> None:
    (clf,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == ("refusal-clf", "xstest")]
    assert clf.held_out_by_model
    path = save_card(clf, tmp_path)
    assert path.read_bytes() == (SHIPPED / "refusal-clf--xstest.json").read_bytes()
    bare = clf.model_copy(update={"held_out_by_model": [], "held_out_note": "", "date": "x"})
    (kept,) = load_cards(Path(save_card(bare, tmp_path)).parent)
    assert kept.date == "x" and kept.held_out_by_model == clf.held_out_by_model
    other = bare.model_copy(update={"version": "other"})
    (dropped,) = load_cards(Path(save_card(other, tmp_path)).parent)
    assert dropped.held_out_by_model == []
    # The same for the leave-one-source-out figures (harm-clf's), each kind on its own.
    (harm,) = [c for c in load_cards(SHIPPED) if (c.judge, c.set.name) == ("harm-clf", "jbb")]
    folder = tmp_path / "harm"
    assert save_card(harm, folder).read_bytes() == (SHIPPED / "harm-clf--jbb.json").read_bytes()
    bare_harm = harm.model_copy(update={"held_out_by_source": [], "held_out_source_note": ""})
    (kept_harm,) = load_cards(Path(save_card(bare_harm, folder)).parent)
    assert kept_harm.held_out_by_source == harm.held_out_by_source
    assert kept_harm.held_out_source_note == harm.held_out_source_note
    newer = bare_harm.model_copy(update={"version": "other"})
    (dropped_harm,) = load_cards(Path(save_card(newer, folder)).parent)
    assert dropped_harm.held_out_by_source == []
    assert "held_out_by_source" not in (folder / "harm-clf--jbb.json").read_text("utf-8")


def test_judges_listing_shows_the_cards_held_out_counts(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    cards.mkdir()
    shipped = SHIPPED / "refusal-clf--xstest.json"
    (cards / shipped.name).write_bytes(shipped.read_bytes())
    (card,) = load_cards(cards)
    listing = tightrope("judges", cwd=tmp_path, TIGHTROPE_CARDS_DIR=str(cards))
    assert listing.returncode == 0, listing.stderr
    assert "accuracy, unseen models (LOMO):" in listing.stdout
    for h in card.held_out_by_model:
        assert f"{100 * h.correct / h.n:.1f}%" in listing.stdout
        assert f"({h.correct}/{h.n})" in listing.stdout
    # harm-clf's figures on attack methods it was not trained on, with Se and Sp.
    shipped = SHIPPED / "harm-clf--jbb.json"
    (cards / shipped.name).write_bytes(shipped.read_bytes())
    (harm,) = [c for c in load_cards(cards) if c.judge == "harm-clf"]
    listing = tightrope("judges", cwd=tmp_path, TIGHTROPE_CARDS_DIR=str(cards))
    assert listing.returncode == 0, listing.stderr
    flat = " ".join(listing.stdout.split())
    assert "(LOSO):" in listing.stdout
    assert "Llama-3-70B" in flat  # whose labels the figures are measured against
    for h in harm.held_out_by_source:
        assert f"({h.tp}/{(h.tp or 0) + (h.fn or 0)})" in flat
        assert f"({h.tn}/{(h.tn or 0) + (h.fp or 0)})" in flat
    # Which LLM judges are for the fine-tuned weights and which for general chat models.
    text = " ".join(listing.stdout.split())
    assert "harmbench-chat and llamaguard-chat are tightrope's wording" in text
