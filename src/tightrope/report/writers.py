"""Write the report files that `tightrope report --html/--md/--json` asks for."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from tightrope.errors import InputError
from tightrope.report.loader import LoadedRun


def write_reports(
    runs: Sequence[LoadedRun],
    *,
    html: Path | None = None,
    md: Path | None = None,
    json: Path | None = None,
) -> list[Path]:
    """Write each requested report of `runs` and return the paths written.

    The judge-error-corrected rates are computed once, from the cards, for every file.
    Raises InputError (one line) when a file cannot be written or a card is not valid.
    """
    written: list[Path] = []
    corrections = None
    if html is not None or md is not None or json is not None:
        from tightrope.report.corrected import report_corrections

        corrections = report_corrections(runs)
    try:
        if html is not None:
            from tightrope.report.html import write_html

            write_html(runs, html, corrections)
            written.append(html)
        if md is not None:
            from tightrope.report.markdown import write_markdown

            write_markdown(runs, md, corrections)
            written.append(md)
        if json is not None:
            from tightrope.report.json_report import write_json

            write_json(runs, json, corrections)
            written.append(json)
    except OSError as exc:
        raise InputError(f"{exc.filename}: cannot write the report ({exc.strerror})") from None
    return written
