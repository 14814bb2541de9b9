"""Judge-error-corrected rates (issue 13, item 4): Rogan-Gladen against hand-computed values,
its bootstrap interval, and `--correct` on `tightrope run` and `tightrope report`."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from cardfactory import make_card
from clihelp import tightrope
from tightrope.judges.card import JudgeCard, load_cards, save_card
from tightrope.metrics.correction import corrected_rate, rogan_gladen
from tightrope.metrics.intervals import wilson_interval
from tightrope.metrics.rates import CategoryRow, MetricsTable, Rate
from tightrope.report.corrected import correction_lines

RULE = "python:fake_targets:rule"


def test_rogan_gladen_hand_computed() -> None:
    # (0.30 + 0.95 - 1) / (0.90 + 0.95 - 1) = 0.25 / 0.85
    assert rogan_gladen(0.30, 0.90, 0.95) == pytest.approx(0.25 / 0.85, abs=1e-12)
    # the docs' worked example: the rule judge's jbb card, 80% observed refusal-based ASR
    se, sp = 107 / 110, 59 / 190
    assert rogan_gladen(0.80, se, sp) == pytest.approx((0.80 + sp - 1) / (se + sp - 1))
    assert rogan_gladen(0.80, se, sp) == pytest.approx(0.3902, abs=1e-4)
    # clipped to [0, 1]
    assert rogan_gladen(0.02, 0.90, 0.95) == 0.0
    assert rogan_gladen(0.99, 0.90, 0.95) == 1.0
    # a perfect judge changes nothing
    assert rogan_gladen(0.37, 1.0, 1.0) == pytest.approx(0.37)
    with pytest.raises(ValueError, match="nothing to correct"):
        rogan_gladen(0.5, 0.4, 0.6)
    with pytest.raises(ValueError, match="p_obs"):
        rogan_gladen(1.5, 0.9, 0.9)


def test_corrected_rate_estimate_and_interval() -> None:
    c = corrected_rate(30, 100, tp=90, fn=10, tn=95, fp=5)
    assert c.ok and c.se == 0.9 and c.sp == 0.95
    assert c.estimate == pytest.approx(0.25 / 0.85)
    assert c.low < c.estimate < c.high
    assert c.low >= 0.0 and c.high <= 1.0
    # fixed seed: the same numbers every time
    assert corrected_rate(30, 100, tp=90, fn=10, tn=95, fp=5) == c
    # a huge, perfect card leaves about the observed rate's own interval
    perfect = corrected_rate(30, 100, tp=100_000, fn=0, tn=100_000, fp=0)
    lo, hi = wilson_interval(30, 100)
    assert perfect.estimate == pytest.approx(0.30)
    assert perfect.low == pytest.approx(lo, abs=0.02) and perfect.high == pytest.approx(
        hi, abs=0.02
    )


def test_interval_widens_as_the_card_shrinks() -> None:
    widths = []
    for scale in (100, 10, 1):  # the same Se 0.9 and Sp 0.95 from 1,000, 100 and 10 positives
        c = corrected_rate(300, 1000, tp=9 * scale, fn=scale, tn=19 * scale, fp=scale)
        assert c.estimate == pytest.approx(0.25 / 0.85)
        widths.append(c.high - c.low)
    assert widths[0] < widths[1] < widths[2]
    assert widths[2] > 2 * widths[0]


def test_no_correction_when_the_judge_says_too_little() -> None:
    at = corrected_rate(40, 50, tp=55, fn=45, tn=55, fp=45)  # Se + Sp - 1 = 0.10 exactly
    assert not at.ok and math.isnan(at.estimate)
    assert "Se + Sp - 1 = 0.10" in at.reason and "too little" in at.reason
    assert corrected_rate(40, 50, tp=56, fn=44, tn=55, fp=45).ok
    assert "n = 0" in corrected_rate(0, 0, tp=9, fn=1, tn=9, fp=1).reason
    assert "lacks" in corrected_rate(3, 10, tp=0, fn=0, tn=9, fp=1).reason
    with pytest.raises(ValueError):
        corrected_rate(11, 10, tp=9, fn=1, tn=9, fp=1)


def _card(judge: str, set_name: str, side: str, tp: int, fp: int, fn: int, tn: int) -> JudgeCard:
    return make_card(
        judge, set_name, side, tp, fp, fn, tn, refusal_positive="refusal (full or partial)"
    )


def _rate(k: int, n: int) -> Rate:
    lo, hi = wilson_interval(k, n)
    return Rate(k=k, n=n, errors=0, low=lo, high=hi)


def test_correction_lines_pick_the_card_of_each_side() -> None:
    row = CategoryRow(
        category="all",
        name="all",
        asr=_rate(40, 50),
        not_unsafe=_rate(10, 50),
        refusal_rate=_rate(10, 50),
        not_overrefuse=_rate(45, 50),
    )
    table = MetricsTable(
        target="t", attack="direct", refusal_judge="refusal", harm_judge=None, rows=(row,)
    )
    instrument = {"judges": [{"name": "refusal", "version": "2", "kind": "refusal"}]}
    assert "no judge card for refusal" in correction_lines([table], instrument, [])[0]
    cards = [
        _card("refusal", "jbb", "harm", 107, 131, 3, 59),
        _card("refusal", "xstest", "refusal", 602, 13, 43, 692),
    ]
    text = "\n".join(correction_lines([table], instrument, cards))
    assert "ASR, refusal-based: observed 80.0% → corrected 39.0%" in text
    assert "not_unsafe, refusal-based: observed 20.0% → corrected 61.0%" in text
    assert "refusal rate: observed 20.0% → corrected" in text
    assert "not_overrefuse: observed 90.0% → corrected" in text
    assert "card measured v1, this run used v2" in text
    # a harm judge's ASR is never corrected with the refusal judge's card
    harm = table.model_copy(update={"harm_judge": "jbb-jailbreak"})
    text = "\n".join(correction_lines([harm], instrument, cards))
    assert "ASR" not in text and "refusal rate" in text


def test_card_round_trip_and_bad_card(tmp_path: Path) -> None:
    card = _card("refusal", "jbb", "harm", 107, 131, 3, 59)
    path = save_card(card, tmp_path)
    assert path.name == "refusal--jbb.json"
    assert load_cards(tmp_path) == [card]
    (tmp_path / "broken.json").write_text('{"judge": "x"}', encoding="utf-8")
    with pytest.raises(Exception, match="not a valid card"):
        load_cards(tmp_path)


def test_cli_correct_on_run_and_report(tmp_path: Path) -> None:
    cards = tmp_path / "cards"
    save_card(_card("refusal", "jbb", "harm", 107, 131, 3, 59), cards)
    args = ("run", "--judge", "refusal", "--target", RULE, "--limit", "10", "--out", "runs")
    none = tightrope(*args, "--correct", cwd=tmp_path, TIGHTROPE_CARDS_DIR=str(tmp_path / "no"))
    assert none.returncode == 0, none.stderr
    assert "--correct: no judge card for refusal" in none.stdout
    r = tightrope(*args, "--correct", cwd=tmp_path, TIGHTROPE_CARDS_DIR=str(cards))
    assert r.returncode == 0, r.stderr
    assert "judge-error-corrected rates" in r.stdout and "corrected" in r.stdout
    assert "refusal card on jbb (n=300" in r.stdout
    run_id = next(line.split()[1] for line in r.stdout.splitlines() if line.startswith("run "))
    rep = tightrope("report", run_id, "--out", "runs", "--correct", cwd=tmp_path,
                    TIGHTROPE_CARDS_DIR=str(cards))  # fmt: skip
    assert rep.returncode == 0, rep.stderr
    corrected = [ln for ln in r.stdout.splitlines() if "→ corrected" in ln]
    assert corrected and corrected == [ln for ln in rep.stdout.splitlines() if "→ corrected" in ln]
    plain = tightrope("report", run_id, "--out", "runs", cwd=tmp_path)
    assert "corrected" not in plain.stdout
    (cards / "bad.json").write_text(json.dumps({"judge": 1}), encoding="utf-8")
    bad = tightrope("report", run_id, "--out", "runs", "--correct", cwd=tmp_path,
                    TIGHTROPE_CARDS_DIR=str(cards))  # fmt: skip
    assert bad.returncode == 2 and "not a valid card" in bad.stderr
    assert len(bad.stderr.strip().splitlines()) == 1
