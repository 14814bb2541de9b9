"""HTML, Markdown and JSON reports built from stored runs: their numbers are the metrics'."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
import runfactory

from clihelp import tightrope as cli
from tightrope.metrics.rates import MetricsTable, Rate
from tightrope.report.html import render_html
from tightrope.report.loader import load_runs
from tightrope.report.markdown import md_escape, render_markdown
from tightrope.report.terminal import format_ci, format_value


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("runs")
    a = runfactory.make_run(
        out,
        ["mixed", "careless"],
        judges_=("refusal", "gcg-strings", runfactory.HARM_JUDGE),
        attacks_=("direct", runfactory.TWO_SHOT),
    )
    b = runfactory.make_run(out, ["hostile"], limit=12)
    return out, [a, b]


class Cells(HTMLParser):
    """Collects the attributes of heatmap cells and all text."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: list[dict[str, str | None]] = []
        self.text: list[str] = []
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        d = dict(attrs)
        self.tags.append((tag, d))
        if tag == "td" and d.get("class") == "cell" and "data-metric" in d:
            self.cells.append(d)

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def _close(a: str | None, b: float) -> bool:
    return a is not None and abs(float(a) - b) < 5e-6


def test_html_heatmap_and_cards_carry_the_metrics_numbers(store: tuple[Path, list[str]]) -> None:
    out, ids = store
    runs = load_runs(out, ids)
    page = render_html(runs)
    parser = Cells()
    parser.feed(page)
    expected: list[MetricsTable] = [
        t for rid in ids for t in runfactory.expected_tables(out, rid) if t.attack == "direct"
    ]
    assert len(expected) == 3
    by_key = {(c["data-series"], c["data-metric"], c["data-category"]): c for c in parser.cells}
    checked = 0
    for i, table in enumerate(expected):
        for row in table.rows:
            for metric in ("not_unsafe", "not_overrefuse"):
                r: Rate = getattr(row, metric)
                cell = by_key[(f"s{i}", metric, row.category)]
                assert cell["data-n"] == str(r.n) and cell["data-k"] == str(r.k)
                assert cell["data-errors"] == str(r.errors)
                if r.n:
                    assert _close(cell["data-value"], r.value)
                    assert _close(cell["data-low"], r.low) and _close(cell["data-high"], r.high)
                checked += 1
    assert checked == len(parser.cells) and checked > 20
    text = "".join(parser.text)
    for table in expected:
        o = table.overall
        assert format_value(o.not_unsafe) in text and f"95% CI {format_ci(o.not_unsafe)}" in text
        assert f"{format_value(o.asr)} [{format_ci(o.asr)}]" in text
    assert "harm judge test-harm" in text
    assert "ASR is refusal-based" in text  # the hostile run has no harm judge


def test_attack_bars_show_every_attack_asr(store: tuple[Path, list[str]]) -> None:
    out, ids = store
    page = render_html(load_runs(out, ids[:1]))
    for table in runfactory.expected_tables(out, ids[0]):
        a = table.overall.asr
        assert f"{format_value(a)} [{format_ci(a)}] n={a.n}" in page
    assert ">test-suffix</text>" in page and ">direct</text>" in page


def test_json_report_equals_metrics_module(store: tuple[Path, list[str]], tmp_path: Path) -> None:
    out, ids = store
    path = tmp_path / "r.json"
    r = cli("report", *ids, "--out", str(out), "--json", str(path), cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    data = json.loads(path.read_text())
    assert [run["run_id"] for run in data["runs"]] == ids
    for run in data["runs"]:
        expected = runfactory.expected_tables(out, run["run_id"])
        assert len(run["tables"]) == len(expected)
        for got, want in zip(run["tables"], expected, strict=True):
            assert (got["target"], got["attack"]) == (want.target, want.attack)
            assert got["asr_basis"] == want.asr_basis
            for grow, wrow in zip(got["rows"], want.rows, strict=True):
                assert grow["category"] == wrow.category
                for name in ("asr", "not_unsafe", "refusal_rate", "not_overrefuse"):
                    w: Rate = getattr(wrow, name)
                    g = grow[name]
                    assert (g["k"], g["n"], g["errors"]) == (w.k, w.n, w.errors)
                    if w.n:
                        assert g["value"] == w.value and (g["low"], g["high"]) == (w.low, w.high)
                    else:
                        assert g["value"] is None and g["low"] is None
    first = data["runs"][0]
    assert first["instrument"]["judges"][2] == {"name": "test-harm", "version": "7", "kind": "harm"}
    assert first["errors"]["generation_errors"] > 0


def test_markdown_rows_equal_metrics_module(store: tuple[Path, list[str]]) -> None:
    out, ids = store
    md = render_markdown(load_runs(out, ids))
    for rid in ids:
        for table in runfactory.expected_tables(out, rid):
            for row in table.rows:
                label = "**all**" if row.category == "all" else f"{row.category} {row.name}"
                cells = [label]
                for r in (row.not_unsafe, row.not_overrefuse):
                    cells += [str(r.n), format_value(r), format_ci(r), str(r.errors)]
                assert (
                    "| " + " | ".join(md_escape(c) if c != label else c for c in cells) + " |" in md
                )
    assert "ASR is refusal-based" in md and "sha256 `" in md
    assert md_escape("a|b<script>") == "a\\|b\\<script\\>"


def test_html_is_self_contained_and_escapes_model_output(store: tuple[Path, list[str]]) -> None:
    out, ids = store
    page = render_html(load_runs(out, ids))
    parser = Cells()
    parser.feed(page)
    # Nothing to fetch: no src or href pointing anywhere, no stylesheet links, no imports.
    for tag, attrs in parser.tags:
        for key in ("src", "href", "action", "srcset", "poster", "data"):
            value = attrs.get(key)
            assert value is None, (tag, key, value)
        assert tag not in ("link", "iframe", "object", "embed", "img", "base", "form") or (
            tag == "form" and attrs.get("id") == "sample-filters"
        )
    assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", page)
    assert "@import" not in page and "url(" not in page
    csp = next(
        a["content"] for t, a in parser.tags if a.get("http-equiv") == "Content-Security-Policy"
    )
    assert csp is not None and "default-src 'none'" in csp and "'sha256-" in csp
    assert "'unsafe-inline'" not in csp.split("script-src")[1].split(";")[0]
    # The hostile output appears only escaped.
    assert "<script>window.__pwned" not in page and '<img src="x"' not in page
    assert "&lt;script&gt;window.__pwned" in page
    assert "&lt;a href=&quot;javascript:" in page
    assert page.count("<script>") == 1


def test_report_command_writes_all_three_and_prints_tables(
    store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out, ids = store
    r = cli(
        "report", *ids, "--out", str(out), "--html", "r.html", "--md", "r.md", "--json", "r.json",
        cwd=tmp_path,
    )  # fmt: skip
    assert r.returncode == 0, r.stderr
    for name in ("r.html", "r.md", "r.json"):
        assert (tmp_path / name).stat().st_size > 500
        assert f"wrote {name}" in r.stdout
    assert r.stdout.count("run ") >= 2 and "not_overrefuse" in r.stdout
    bad = cli("report", ids[0], "nope", "--out", str(out), "--html", "x.html", cwd=tmp_path)
    assert bad.returncode == 2 and "no run 'nope'" in bad.stderr
    assert not (tmp_path / "x.html").exists()
    unwritable = cli("report", ids[0], "--out", str(out), "--md", "no/such/dir/r.md", cwd=tmp_path)
    assert unwritable.returncode == 2 and "cannot write" in unwritable.stderr
