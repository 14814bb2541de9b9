"""Judge cards (issue 13, item 3): the shipped cards are what the judges measure today, they are
valid and honest about their rows, `judge-eval --save` writes them and `tightrope judges`
lists every judge with its card."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope.judges import get_judge
from tightrope.judges.card import SHIPPED, card_from_report, load_cards
from tightrope.judges.evaluation import evaluate
from tightrope.metrics.intervals import wilson_interval

ROOT = Path(__file__).resolve().parents[2]
FAST = ("refusal", "gcg-strings", "jbb-strings", "xstest-strings")


BUILT_IN = (
    "refusal",
    "refusal-clf",
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
