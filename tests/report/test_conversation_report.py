"""The HTML report shows a Crescendo conversation turn by turn, and a translated answer with
the back-translation the judges read; in a real headless chromium, with model text escaped."""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

from browser import chromium, keep_screenshot

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "attacks"))

from crescendo_servers import CrescendoServers
from loop_servers import FAST, write_suite

from tightrope.report.html import write_html
from tightrope.report.loader import load_runs
from tightrope.run import RunConfig, run_async

HOSTILE = "<img src=x onerror=alert(1)>"


def _rule(question: str) -> str:
    return "comply" if question.startswith("Turn 3") else "answer"


def test_a_conversation_renders_as_turns(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    with CrescendoServers(_rule) as srv:
        config = RunConfig(
            judges=("refusal",),
            targets=(srv.spec("target"),),
            suites=(f"file:{suite}",),
            attacks=(f"crescendo:turns=3,backtracks=0,judge={srv.spec('judge')}",),
            attacker_model=srv.spec("attacker"),
            target_settings=FAST,
        )
        res = asyncio.run(run_async(config, out=tmp_path / "o"))
    path = tmp_path / "report.html"
    write_html(load_runs(tmp_path / "o", [res.run_id]), path)
    html = path.read_text()
    assert 'class="conversation"' in html
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("dialog", lambda d: problems.append(f"dialog {d.message}"))
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.goto(path.as_uri())
        page.wait_for_load_state("load")
        row = page.locator("#samples tbody tr", has_text="turn").filter(
            has=page.locator("details.conversation")
        )
        last = row.filter(has_text="Turn 3 question").first
        last.locator("details.conversation summary").click()
        turns = last.locator("details.conversation .turn")
        roles = [t.locator(".role").inner_text().lower() for t in turns.all()]
        assert roles == ["user", "assistant", "user", "assistant", "user"]
        texts = [t.inner_text() for t in turns.all()]
        assert "Turn 1 question (query 1)" in texts[0]
        assert "Some general background about: Turn 1" in texts[1]
        assert "Turn 3 question (query 3)" in texts[4]
        assert "[REDACTED]" in last.locator("td").nth(2).inner_text()
        shot = tmp_path / "conversation.png"
        page.screenshot(path=str(shot), full_page=True)
        keep_screenshot(shot)
    assert problems == [], "model text never runs"


def test_a_translated_answer_shows_what_the_judges_read() -> None:
    from tightrope.report.html_samples import samples_html
    from tightrope.report.samples import SampleRow

    row = SampleRow(
        run_id="r",
        attempt_id="h0/translate:zu/zu@t",
        behavior_id="h0",
        side="harmful",
        category="S2",
        category_name="x",
        target="t",
        attack="translate:zu",
        prompt="[zu] request",
        response=f"Yebo {HOSTILE}",
        error=None,
        verdicts={"refusal": "compliance"},
        verdict="compliance",
        outcome="unsafe",
        disagree=False,
        translation=f"Yes {HOSTILE}",
    )
    html = samples_html([row])
    assert "translated back · what the judges read" in html
    assert HOSTILE not in html and "Yes &lt;img src=x onerror=alert(1)&gt;" in html
    assert "Yebo &lt;img" in html
