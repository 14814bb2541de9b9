"""The local viewer: loopback by default, read-only, same escaped pages, usable in a browser."""

from __future__ import annotations

import http.client
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import runfactory
from browser import chromium, keep_screenshot, shown_count, visible_rows

from clihelp import cli_env
from tightrope.report.json_report import report_json
from tightrope.report.loader import load_runs
from tightrope.viewer import make_server


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str]]:
    out = tmp_path_factory.mktemp("viewer")
    ids = [
        runfactory.make_run(out, ["careful"], limit=30),
        runfactory.make_run(
            out, ["hostile", "mixed"], limit=20, judges_=("refusal", "gcg-strings")
        ),
    ]
    return out, ids


@pytest.fixture(scope="module")
def server(store: tuple[Path, list[str]]) -> Iterator[tuple[str, int]]:
    srv = make_server(store[0])
    thread = threading.Thread(target=srv.serve_forever, daemon=True)
    thread.start()
    host, port = srv.server_address[:2]
    assert host == "127.0.0.1"
    yield "127.0.0.1", int(port)
    srv.shutdown()
    srv.server_close()


def _get(
    addr: tuple[str, int], path: str, method: str = "GET", host: str | None = None
) -> tuple[int, str, dict[str, str]]:
    conn = http.client.HTTPConnection(*addr, timeout=10)
    headers = {"Host": host} if host else {}
    conn.request(method, path, headers=headers)
    resp = conn.getresponse()
    body = resp.read().decode("utf-8")
    conn.close()
    return resp.status, body, dict(resp.getheaders())


def test_index_api_and_run_pages(store: tuple[Path, list[str]], server: tuple[str, int]) -> None:
    out, ids = store
    status, body, headers = _get(server, "/")
    assert status == 200 and all(f'href="/run/{rid}"' in body for rid in ids)
    assert "default-src 'none'" in headers["Content-Security-Policy"]
    status, body, _ = _get(server, "/api/runs")
    assert status == 200
    served = {r["run_id"]: r for r in json.loads(body)["runs"]}
    expected = json.loads(json.dumps(report_json(load_runs(out, ids))))["runs"]
    assert served == {r["run_id"]: r for r in expected}
    status, body, headers = _get(server, f"/run/{ids[1]}")
    assert status == 200 and 'id="samples"' in body
    assert "'sha256-" in headers["Content-Security-Policy"]
    assert "&lt;script&gt;window.__pwned" in body and "<script>window.__pwned" not in body
    status, body, _ = _get(server, f"/api/run/{ids[0]}")
    assert status == 200 and json.loads(body)["runs"][0]["run_id"] == ids[0]


def test_viewer_is_read_only_and_guards_its_host(server: tuple[str, int]) -> None:
    for method in ("POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND", "BREW"):
        status, _, headers = _get(server, "/", method)
        assert (status, headers.get("Allow")) == (405, "GET, HEAD"), method
    assert _get(server, "/", host="evil.example:80")[0] == 403
    assert _get(server, "/", host=f"localhost:{server[1]}")[0] == 200
    assert _get(server, "/run/nope")[0] == 404
    assert _get(server, "/run/..%2F..%2Fetc%2Fpasswd")[0] == 404
    assert _get(server, "/static/../../x")[0] == 404
    status, _, headers = _get(server, "/", "HEAD")
    assert status == 200 and int(headers["Content-Length"]) > 0


def test_viewer_in_a_browser(
    store: tuple[Path, list[str]], server: tuple[str, int], tmp_path: Path
) -> None:
    _, ids = store
    problems: list[str] = []
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.on("pageerror", lambda exc: problems.append(str(exc)))
        page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
        page.goto(f"http://127.0.0.1:{server[1]}/")
        assert page.locator("#runs tbody tr").count() == 3  # one row per run and target
        shot = tmp_path / "viewer-index.png"
        page.screenshot(path=str(shot))
        keep_screenshot(shot)
        page.click(f'a[href="/run/{ids[1]}"]')
        page.wait_for_selector("#samples")
        assert page.locator("svg.plot g.point").count() == 2
        _, total = shown_count(page)
        page.select_option("#sample-filters select[name=side]", "harmful")
        page.select_option("#sample-filters select[name=target]", "python:report_targets:mixed")
        rows = visible_rows(page)
        assert rows and shown_count(page) == (len(rows), total)
        assert all(r["side"] == "harmful" and r["target"].endswith("mixed") for r in rows)
        page.select_option("#sample-filters select[name=target]", "python:report_targets:hostile")
        assert page.locator("#samples img, #samples script, #samples a").count() == 0
        assert page.evaluate("typeof window.__pwned") == "undefined"
        page.locator("#samples-section").scroll_into_view_if_needed()
        shot = tmp_path / "viewer-run.png"
        page.screenshot(path=str(shot))
        keep_screenshot(shot)
        page.click("nav.crumbs a")
        page.wait_for_selector("#runs")
    assert problems == []


def test_view_command_binds_loopback_and_serves(
    store: tuple[Path, list[str]], tmp_path: Path
) -> None:
    out, ids = store
    proc = subprocess.Popen(
        [sys.executable, "-m", "tightrope", "view", "--out", str(out)],
        cwd=tmp_path,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert "tightrope viewer on http://127.0.0.1:" in line, line
        port = int(line.split("127.0.0.1:")[1].split("/")[0])
        deadline = time.monotonic() + 10
        while True:
            try:
                status, body, _ = _get(("127.0.0.1", port), "/")
                break
            except ConnectionRefusedError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert status == 200 and ids[0] in body
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_view_command_fails_cleanly_without_a_store(tmp_path: Path) -> None:
    r = subprocess.run(
        [sys.executable, "-m", "tightrope", "view", "--out", "nowhere"],
        cwd=tmp_path, env=cli_env(), capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert r.returncode == 2 and "no run store here" in r.stderr
