"""The README's example output names the judges, with their versions, that a default run uses.

`make run` is `tightrope run` with no `--judge`, so its judges are `default_judges()` (the default
judges' packages are installed by `make run` and `make test`). The example output was once the
rule judge's while the README described refusal-clf (issue 14); this keeps the two together. A
new weights file changes refusal-clf's version and fails this test until the example output is
regenerated from a fresh `make run`.
"""

from __future__ import annotations

import re
from pathlib import Path

from tightrope.judges import get_judge
from tightrope.judges.build import default_judges

README = Path(__file__).resolve().parents[1] / "README.md"


def example_output() -> list[str]:
    """Return the lines of the code block under the README's "What it prints" heading."""
    text = README.read_text(encoding="utf-8")
    section = text.split("\n## What it prints\n", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"^```\n(.*?)^```$", section, flags=re.S | re.M)
    assert block is not None, "no code block under '## What it prints'"
    return block.group(1).splitlines()


def default_judge_lines() -> list[str]:
    """Return the `refusal judge: NAME vVERSION` line a default run prints under its table: the
    first refusal judge drives the table, and the first harm judge (if any) joins the line."""
    names, notice = default_judges()
    assert notice is None, f"the default judges are not installed here: {notice}"
    judges = [get_judge(name) for name in names]
    refusal = next(j for j in judges if j.kind == "refusal")
    harm = next((j for j in judges if j.kind == "harm"), None)
    line = f"refusal judge: {refusal.name} v{refusal.version}"
    if harm is not None:
        line += f" · harm judge: {harm.name} v{harm.version}"
    return [line]


def test_readme_example_output_names_the_default_judges_and_versions() -> None:
    shown = [line for line in example_output() if line.startswith("refusal judge:")]
    assert shown == default_judge_lines(), (
        "README.md's example output does not name the judges a default run uses: "
        "regenerate it from a fresh `make run`"
    )


def test_readme_names_the_default_judges_where_it_says_how_long_a_run_takes() -> None:
    names, _ = default_judges()
    assert names == ("refusal-clf", "harm-clf")
    assert "default judges `refusal-clf` and `harm-clf`" in README.read_text(encoding="utf-8")
