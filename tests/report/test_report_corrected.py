"""Judge-error-corrected rates in the HTML, Markdown and JSON reports (issue 13, item 4)."""

from __future__ import annotations

import json
import math
from html.parser import HTMLParser
from pathlib import Path

import pytest
import runfactory

from cardfactory import make_card
from tightrope.judges.card import JudgeCard, save_card
from tightrope.metrics.correction import corrected_rate
from tightrope.report.corrected import (
    RateCorrection,
    TableCorrections,
    pct,
    report_corrections,
)
from tightrope.report.html import render_html
from tightrope.report.json_report import report_json
from tightrope.report.loader import LoadedRun, load_runs
from tightrope.report.markdown import render_markdown
from tightrope.report.writers import write_reports


def _card(judge: str, set_name: str, side: str, tp: int, fp: int, fn: int, tn: int) -> JudgeCard:
    return make_card(judge, set_name, side, tp, fp, fn, tn, version="0-card")


CARDS = [
    _card("refusal", "jbb", "harm", 107, 131, 3, 59),
    _card("refusal", "xstest", "refusal", 602, 13, 43, 692),
]


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> list[LoadedRun]:
    out = tmp_path_factory.mktemp("runs")
    a = runfactory.make_run(out, ["mixed"], judges_=("refusal",), limit=20)
    b = runfactory.make_run(out, ["careless"], judges_=("refusal", runfactory.HARM_JUDGE), limit=20)
    return load_runs(out, [a, b])


def test_json_corrected_numbers_equal_the_correction_function(runs: list[LoadedRun]) -> None:
    doc = json.loads(
        json.dumps(report_json(runs, report_corrections(runs, CARDS)), allow_nan=False)
    )
    jbb, xs = CARDS
    checked = 0
    for run, run_doc in zip(runs, doc["runs"], strict=True):
        assert len(run_doc["corrected"]) == len(run.tables)
        for table, entry in zip(run.tables, run_doc["corrected"], strict=True):
            o = table.overall
            by_rate = {r["rate"]: r for r in entry["rates"]}
            assert set(by_rate) == {"asr", "not_unsafe", "refusal_rate", "not_overrefuse"}
            expect = {
                "refusal_rate": (corrected_rate(o.refusal_rate.k, o.refusal_rate.n, tp=xs.tp,
                                                fn=xs.fn, tn=xs.tn, fp=xs.fp), False, xs),
                "not_overrefuse": (corrected_rate(o.not_overrefuse.n - o.not_overrefuse.k,
                                                  o.not_overrefuse.n, tp=xs.tp, fn=xs.fn,
                                                  tn=xs.tn, fp=xs.fp), True, xs),
            }  # fmt: skip
            if table.harm_judge is None:  # refusal-based ASR: the refusal judge's jbb card
                c = corrected_rate(o.asr.k, o.asr.n, tp=jbb.tp, fn=jbb.fn, tn=jbb.tn, fp=jbb.fp)
                expect |= {"asr": (c, False, jbb), "not_unsafe": (c, True, jbb)}
            else:  # the harm judge has no card: said so, nothing corrected
                for name in ("asr", "not_unsafe"):
                    r = by_rate[name]
                    assert r["corrected"] is False and r["card"] is None
                    assert r["estimate"] is None and r["low"] is None and r["high"] is None
                    assert "no card" in r["reason"] and r["judge"] == runfactory.HARM_JUDGE
            for name, (c, flip, card) in expect.items():
                r = by_rate[name]
                assert r["corrected"] is True and r["reason"] is None
                want = (
                    (1 - c.estimate, 1 - c.high, 1 - c.low) if flip else (c.estimate, c.low, c.high)
                )
                got = (r["estimate"], r["low"], r["high"])
                assert all(isinstance(x, float) for x in got)
                assert got == pytest.approx(want, abs=1e-12)
                observed = 1 - c.observed if flip else c.observed
                assert r["observed"] == pytest.approx(observed) and r["n"] == c.n
                assert r["card"]["set"] == card.set.name and r["card"]["n"] == card.set.n
                assert r["card"]["se"] == pytest.approx(c.se) and r["card"]["sp"] == c.sp
                assert r["card"]["version"] == "0-card" and r["card_version_differs"] is True
                checked += 1
    assert checked == 6  # 4 rates of the refusal-based run, 2 of the harm-judged one


def test_json_says_why_when_the_judge_is_too_weak(runs: list[LoadedRun]) -> None:
    coin = [_card("refusal", "jbb", "harm", 50, 50, 50, 50)]  # Se + Sp - 1 = 0
    doc = report_json(runs[:1], report_corrections(runs[:1], coin))
    asr = doc["runs"][0]["corrected"][0]["rates"][0]
    assert asr["rate"] == "asr" and asr["corrected"] is False and asr["estimate"] is None
    assert "Se + Sp - 1 = 0.00" in asr["reason"] and asr["card"]["se"] == 0.5


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []
        self.text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, dict(attrs)))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


EVIL = '<script>alert(1)</script><img src=x onerror="alert(2)">|*'


def _evil(run: LoadedRun) -> dict[str, list[TableCorrections]]:
    nan = math.nan
    bad = RateCorrection(
        "asr", f"ASR {EVIL}", EVIL, "harm", 3, 10, nan, nan, nan, nan, nan, None, None,
        f"no correction: {EVIL} has no card",
    )  # fmt: skip
    return {run.run_id: [TableCorrections(EVIL, EVIL, (bad,))]}


def test_html_has_the_section_and_escapes_it(runs: list[LoadedRun]) -> None:
    corr = report_corrections(runs, CARDS)
    page = render_html(runs, corrections=corr)
    p = _Text()
    p.feed(page)
    assert ("section", {"id": "corrected"}) in p.tags
    rows = [a for t, a in p.tags if t == "tr" and "data-rate" in a]
    assert len(rows) == sum(len(t.rates) for c in corr.values() for t in c) == 8
    assert sum(a["data-corrected"] == "true" for a in rows) == 6
    text = "".join(p.text)
    c = corr[runs[0].run_id][0].rates[0]
    assert f"{pct(c.estimate)}{pct(c.low)}–{pct(c.high)}" in text
    assert "refusal v0-card card on jbb (n=300)" in text and "card measured v0-card" in text
    evil = render_html(runs[:1], corrections=_evil(runs[0]))
    assert "<script>alert(1)" not in evil and "<img src=x" not in evil
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in evil
    q = _Text()
    q.feed(evil)
    assert [t for t, _ in q.tags].count("script") == 1  # the page's own script only
    assert not any(t == "img" for t, _ in q.tags)


def test_markdown_table_of_corrected_rates(runs: list[LoadedRun]) -> None:
    corr = report_corrections(runs, CARDS)
    md = render_markdown(runs, corr)
    lines = md.splitlines()
    assert lines.count("### Judge-error-corrected rates") == 2
    head = "| target | attack | rate | observed | corrected | 95% CI | card | Se | Sp | note |"
    assert lines.count(head) == 2
    c = corr[runs[0].run_id][0].rates[0]
    row = next(
        ln for ln in lines if ln.startswith("| python:report\\_targets:mixed | direct | ASR")
    )
    cells = [x.strip() for x in row.strip("|").split("|")]
    assert cells[3:6] == [f"{pct(c.observed)} ({c.k}/{c.n})", pct(c.estimate),
                          f"{pct(c.low)}–{pct(c.high)}"]  # fmt: skip
    assert cells[6] == "refusal v0-card card on jbb (n=300)" and cells[7] == pct(c.se)
    harm_row = next(ln for ln in lines if "test-harm has no card" in ln)
    assert harm_row.count("|") == 11  # every cell there, reason in the note
    evil = render_markdown(runs[:1], _evil(runs[0]))
    evil_row = next(ln for ln in evil.splitlines() if "alert(1)" in ln)
    assert evil_row.count("|") - evil_row.count("\\|") == 11  # a `|` in a name splits nothing
    assert "<script>" not in evil


def test_report_files_always_carry_the_section(
    runs: list[LoadedRun], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    cards = tmp_path / "cards"
    for card in CARDS:
        save_card(card, cards)
    monkeypatch.setenv("TIGHTROPE_CARDS_DIR", str(cards))
    paths = {k: tmp_path / f"r.{k}" for k in ("html", "md", "json")}
    write_reports(runs, html=paths["html"], md=paths["md"], json=paths["json"])
    assert 'id="corrected-table"' in paths["html"].read_text(encoding="utf-8")
    assert "### Judge-error-corrected rates" in paths["md"].read_text(encoding="utf-8")
    doc = json.loads(paths["json"].read_text(encoding="utf-8"))
    asr = doc["runs"][0]["corrected"][0]["rates"][0]
    assert asr["corrected"] is True and asr["card"]["version"] == "0-card"
