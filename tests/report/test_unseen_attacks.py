"""The harm judge's caveat on attacks it was not trained on (issue 13, item 1: a judge that only
knows its training distribution is no judge): printed beside an ASR measured under an attack,
from the leave-one-source-out figures of the judge's card, in the terminal, HTML and Markdown."""

from __future__ import annotations

from pathlib import Path

import pytest
import runfactory
from browser import chromium
from rich.console import Console

from cardfactory import make_card
from tightrope.judges.card import SHIPPED, JudgeCard, held_out_confusions, load_cards, save_card
from tightrope.metrics.rates import MetricsTable, metrics_table
from tightrope.report.html import render_html
from tightrope.report.json_report import report_json
from tightrope.report.loader import load_runs
from tightrope.report.markdown import render_markdown
from tightrope.report.terminal import metrics_renderable
from tightrope.report.unseen_attacks import readable_cards, unseen_attack_note

SOURCES = [
    {"source": "a", "tp": 3, "fp": 1, "fn": 7, "tn": 9},  # Se 30 %, Sp 90 %
    {"source": "b", "tp": 9, "fp": 5, "fn": 1, "tn": 5},  # Se 90 %, Sp 50 %
]


def _table(attack: str, harm_judge: str | None = "harm-clf") -> MetricsTable:
    return metrics_table([], target="python:m:f", attack=attack, refusal_judge="refusal",
                         harm_judge=harm_judge)  # fmt: skip


def _held_out_card(judge: str, version: str) -> JudgeCard:
    card = make_card(judge, "jbb", "harm", 8, 2, 2, 8, version=version)
    return card.model_copy(
        update={"held_out_by_source": held_out_confusions(SOURCES), "held_out_source_note": "n"}
    )


def test_the_note_reads_the_cards_leave_one_source_out_range() -> None:
    cards = [_held_out_card("h", "7")]
    note = unseen_attack_note(_table("pair", "h"), {}, cards)
    assert note is not None
    assert "sensitivity 30.0%–90.0%, specificity 50.0%–90.0%" in note
    assert "leave-one-source-out" in note and "--judge" in note
    # The run's judge version must be the card's, when the run says which it used.
    same = {"judges": [{"name": "h", "version": "7", "kind": "harm"}]}
    other = {"judges": [{"name": "h", "version": "8", "kind": "harm"}]}
    assert unseen_attack_note(_table("pair", "h"), same, cards) == note
    assert unseen_attack_note(_table("pair", "h"), other, cards) is None
    # No attack, no harm judge, or a card without the figures: no note.
    assert unseen_attack_note(_table("direct", "h"), {}, cards) is None
    assert unseen_attack_note(_table("pair", None), {}, cards) is None
    bare = [make_card("h", "jbb", "harm", 8, 2, 2, 8, version="7")]
    assert unseen_attack_note(_table("pair", "h"), {}, bare) is None


def test_the_shipped_harm_clf_card_gives_the_note() -> None:
    cards = load_cards(SHIPPED)
    (card,) = [c for c in cards if (c.judge, c.set.name) == ("harm-clf", "jbb")]
    se = [
        h.sensitivity.value for h in card.held_out_by_source if h.group != "all" and h.sensitivity
    ]
    note = unseen_attack_note(_table("pair"), {}, cards)
    assert note is not None and f"sensitivity {100 * min(se):.1f}%–{100 * max(se):.1f}%" in note


def test_the_terminal_table_prints_the_note_under_an_attack_only() -> None:
    cards = [_held_out_card("harm-clf", "7")]

    def text(attack: str, with_cards: list[JudgeCard]) -> str:
        console = Console(width=300, record=True)
        console.print(metrics_renderable(_table(attack), {}, cards=with_cards))
        return console.export_text()

    assert "on attack methods it was not trained on" in text("gcg", cards)
    assert "not trained on" not in text("direct", cards)
    assert "not trained on" not in text("gcg", [])


def test_an_unreadable_card_folder_costs_the_note_not_the_table(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "bad--jbb.json").write_text("{not json", encoding="utf-8")
    monkeypatch.setenv("TIGHTROPE_CARDS_DIR", str(tmp_path))
    assert readable_cards() == []
    console = Console(width=300, record=True)
    console.print(metrics_renderable(_table("gcg"), {}))
    assert "ASR" in console.export_text()


def test_html_and_markdown_reports_carry_the_note(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = tmp_path / "cards"
    save_card(_held_out_card(runfactory.HARM_JUDGE, "7"), cards)
    monkeypatch.setenv("TIGHTROPE_CARDS_DIR", str(cards))
    out = tmp_path / "runs"
    attacked = runfactory.make_run(
        out, ["careless"], judges_=("refusal", runfactory.HARM_JUDGE),
        attacks_=("direct", runfactory.TWO_SHOT), limit=6,
    )  # fmt: skip
    plain = runfactory.make_run(
        out, ["careless"], judges_=("refusal", runfactory.HARM_JUDGE), limit=6
    )
    runs = load_runs(out, [attacked, plain])
    markdown = render_markdown(runs)
    html = render_html(runs)
    doc = report_json(runs)
    expect = "sensitivity 30.0%–90.0%, specificity 50.0%–90.0%"
    assert markdown.count("Harm judge on new attacks") == 1 and expect in markdown
    assert html.count("harm judge on new attacks") == 1 and expect in html
    # The attacked run carries it, the direct-only run does not.
    assert expect in doc["runs"][0]["harm_judge_on_new_attacks"]
    assert "harm_judge_on_new_attacks" not in doc["runs"][1]
    assert markdown.index("Harm judge on new attacks") < markdown.index(f"run {plain}")
    # Rendered in a real browser: the line is shown in the attacked run's instrument box.
    page_file = tmp_path / "report.html"
    page_file.write_text(html, encoding="utf-8")
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.goto(page_file.as_uri())
        shown = page.locator(
            f'div.box[data-run="{attacked}"] dt:has-text("harm judge on new") + dd'
        )
        assert shown.count() == 1 and shown.is_visible()
        assert expect in shown.inner_text()
        assert (
            page.locator(f'div.box[data-run="{plain}"] dt:has-text("harm judge on new")').count()
            == 0
        )
