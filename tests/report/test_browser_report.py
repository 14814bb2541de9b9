"""The HTML report in a real headless chromium: renders offline, filters work, runs nothing."""

from __future__ import annotations

from pathlib import Path

import pytest
import runfactory
from browser import chromium, keep_screenshot, shown_count, visible_rows
from playwright.sync_api import ConsoleMessage, Page, Request

from tightrope.report.html import write_html
from tightrope.report.loader import load_runs
from tightrope.report.samples import sample_rows


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("browser")
    a = runfactory.make_run(out, ["mixed", "hostile"], limit=40, judges_=("refusal", "gcg-strings"))
    b = runfactory.make_run(out, ["careful"], limit=40)
    path = out / "report.html"
    runs = load_runs(out, [a, b])
    write_html(runs, path)
    (out / "rows.txt").write_text(str(sum(len(sample_rows(r)) for r in runs)))
    return path


def _select(page: Page, name: str, value: str) -> None:
    page.select_option(f"#sample-filters select[name={name}]", value)


def test_report_renders_offline_filters_work_and_model_output_runs_nothing(
    report: Path, tmp_path: Path
) -> None:
    requests: list[str] = []
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})

        def on_request(req: Request) -> None:
            requests.append(req.url)

        def on_console(msg: ConsoleMessage) -> None:
            if msg.type in ("error", "warning"):
                problems.append(msg.text)

        page.on("request", on_request)
        page.on("console", on_console)
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("dialog", lambda d: problems.append(f"dialog {d.message}"))
        page.goto(report.as_uri())
        page.wait_for_load_state("load")

        # Rendered: the frontier has one point per series, the heatmap and bars are there.
        assert page.locator("svg.plot g.point").count() == 3
        assert page.locator("#heatmap td.cell").count() == 5 * 2 * 3  # (S1-S4, all) x 2 x 3
        assert page.locator("svg.plot g.bar").count() == 3
        assert page.locator("svg.plot").first.bounding_box()["width"] > 300  # type: ignore[index]
        shot = tmp_path / "report-top.png"
        page.screenshot(path=str(shot))
        keep_screenshot(shot)

        # Filters: each one narrows the rows to what it names, and the count follows.
        total = shown_count(page)[1]
        assert shown_count(page) == (total, total)
        assert total == int((report.parent / "rows.txt").read_text()) == 120
        _select(page, "side", "benign")
        rows = visible_rows(page)
        assert rows and all(r["side"] == "benign" for r in rows)
        assert shown_count(page) == (len(rows), total) and len(rows) < total
        _select(page, "category", "S2")
        rows = visible_rows(page)
        assert rows and all(r["side"] == "benign" and r["category"] == "S2" for r in rows)
        _select(page, "side", "")
        _select(page, "category", "")
        _select(page, "verdict", "error")
        rows = visible_rows(page)
        assert rows and all(r["verdict"] == "error" for r in rows)
        _select(page, "verdict", "")
        page.check("#sample-filters input[name=disagree]")
        rows = visible_rows(page)
        assert rows and all(r["disagree"] == "1" for r in rows)
        page.uncheck("#sample-filters input[name=disagree]")
        _select(page, "target", "python:report_targets:hostile")
        rows = visible_rows(page)
        assert len(rows) == 40 and all(r["target"] == "python:report_targets:hostile" for r in rows)
        page.fill("#sample-filters input[name=q]", "Python process")
        rows = visible_rows(page)
        assert len(rows) == 1 and rows[0]["side"] == "benign"
        page.fill("#sample-filters input[name=q]", "")

        # Hostile model output: shown as text, no element made from it, nothing ran.
        samples = page.locator("#samples")
        assert samples.locator("script, img, a, iframe, b").count() == 0
        text = samples.inner_text()
        assert "<script>window.__pwned = 'script';</script>" in text
        assert '<img src="x" onerror=' in text and 'href="javascript:' in text
        page.locator("#samples tbody tr:not(.hidden) td.text summary").first.click()
        page.locator("#samples tbody tr:not(.hidden) td.text").nth(1).click()
        page.wait_for_timeout(300)
        assert page.evaluate("typeof window.__pwned") == "undefined"
        assert page.evaluate("document.querySelectorAll('a[href^=\"javascript:\"]').length") == 0
        page.locator("#samples-section").scroll_into_view_if_needed()
        shot = tmp_path / "report-samples.png"
        page.screenshot(path=str(shot))
        keep_screenshot(shot)
        full = tmp_path / "report-full.png"
        page.screenshot(path=str(full), full_page=True)
        keep_screenshot(full)

    assert requests == [report.as_uri()], requests  # loads nothing but itself
    assert problems == [], problems  # no CSP violation, no script error, no dialog
    for shot in (tmp_path / "report-top.png", full):
        data = shot.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 30_000
