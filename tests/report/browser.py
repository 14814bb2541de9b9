"""A real headless browser for report tests: Debian's chromium driven by playwright.

playwright is told to use /usr/bin/chromium, so it never downloads a browser of its own; the
flags keep chromium from reaching the network by itself (no component updates, no background
requests), so any request a page makes is the page's own.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from playwright.sync_api import Browser, Page, sync_playwright

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


@contextmanager
def chromium() -> Iterator[Browser]:
    """Yield a launched headless chromium; fails with the install command if it is missing."""
    assert CHROMIUM.is_file(), (
        "Debian's chromium is missing: apt-get install chromium (make test does)"
    )
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        try:
            yield browser
        finally:
            browser.close()


def keep_screenshot(path: Path) -> None:
    """Copy a screenshot to $TIGHTROPE_SCREENSHOT_DIR when set, for a person to look at."""
    target = os.environ.get("TIGHTROPE_SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(target) / path.name)


def visible_rows(page: Page) -> list[dict[str, str]]:
    """Return the data-* attributes of the sample rows currently shown."""
    rows: list[dict[str, str]] = page.eval_on_selector_all(
        "#samples tbody tr:not(.hidden)", "rows => rows.map(r => Object.assign({}, r.dataset))"
    )
    return rows


def shown_count(page: Page) -> tuple[int, int]:
    """Return (shown, total) from the filter's 'showing N of M' line."""
    words = page.inner_text("#sample-count").split()
    return int(words[1]), int(words[3])
