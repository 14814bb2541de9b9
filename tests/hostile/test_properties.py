"""Property-based tests of every input surface: each example succeeds, or fails as one
InputError line naming what to fix; nothing else escapes, and nothing is half-written.

Bounded and derandomized by the profile in conftest.py; `HYPOTHESIS_PROFILE=long` runs more.
"""

from __future__ import annotations

import io
import json
import shutil
import sqlite3
import tempfile
from contextlib import closing
from pathlib import Path
from typing import Any

import yaml
from hypothesis import example, given
from hypothesis import strategies as st

from tightrope.attacks import get_attack
from tightrope.cli.common import SafeConsole
from tightrope.datasets.userfile import file_suite
from tightrope.errors import InputError
from tightrope.judges.build import build_judges
from tightrope.judges.refusal import classify_refusal
from tightrope.records import Attempt, Behavior, Message, Response
from tightrope.report.exports import write_jsonl
from tightrope.report.html import render_html
from tightrope.report.loader import load_runs
from tightrope.report.policy import load_policy
from tightrope.store import Store
from tightrope.targets import get_target
from tightrope.targets.config_file import load_target_config
from tightrope.textsafe import one_line

# Every code point, lone surrogates and controls included, with markup-looking text mixed in.
ANY_CHAR = st.characters(codec=None, exclude_categories=())
HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHAR, max_size=60),
    st.sampled_from(["[/x]", "[red]x[/red]", ":-1:", "\x1b[2J", "\u202e", "\ud800", "\x00"]),
    st.text(ANY_CHAR, min_size=1, max_size=3).map(lambda s: s * 3000),  # long text
)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True),
    HOSTILE_TEXT,
)
VALUES = st.recursive(
    SCALARS,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text(max_size=5), c, max_size=3),
    max_leaves=6,
)


def _one_line(exc: InputError) -> None:
    """The property is that only InputError escapes; `fail()` prints it as this one line."""
    line = one_line(str(exc))
    assert line.strip() and "\n" not in line, line


def _tmp() -> Path:
    return Path(tempfile.mkdtemp(prefix="tightrope-prop-"))


@given(texts=st.lists(HOSTILE_TEXT, min_size=1, max_size=4))
def test_model_output_goes_through_store_judge_terminal_and_export(texts: list[str]) -> None:
    folder = _tmp()
    store = Store.open(folder)
    try:
        store.create_run("r", fingerprint="f", config={}, instrument={})
        behavior = Behavior(
            id="b", text="q", side="harmful", category="S1", source_category="c", source="s"
        )
        attempts = [
            Attempt(
                id=f"a{i}", behavior_id="b", target="t", messages=(Message(role="user", content=t),)
            )
            for i, t in enumerate(texts)
        ]
        store.add_plan("r", [behavior], [(a, f"k{a.id}") for a in attempts])
        store.put_responses(
            "r", [(a, f"k{a.id}", Response(text=t)) for a, t in zip(attempts, texts, strict=True)]
        )
        records = store.records("r")
    finally:
        store.close()
    assert len(records) == len(texts)
    buffer = io.StringIO()
    console = SafeConsole(file=buffer, width=80, markup=False, emoji=False)
    for rec in records:
        assert rec.response is not None and rec.response.text is not None
        assert classify_refusal(rec.response.text) in ("refusal", "compliance", "partial")
        console.print(rec.response.text[:200])
    assert "\x1b" not in buffer.getvalue()
    assert write_jsonl(records, folder / "x.jsonl") == len(texts)
    lines = (folder / "x.jsonl").read_text("utf-8").split("\n")  # JSON Lines: "\n" only
    assert [json.loads(line)["response"]["text"] for line in lines if line] == [
        r.response.text for r in records if r.response
    ]


@given(
    rows=st.lists(
        st.dictionaries(
            st.sampled_from(["text", "side", "category", "id", "pair", "x"]), VALUES, max_size=5
        ),
        min_size=1,
        max_size=4,
    )
)
def test_jsonl_suites_load_or_fail_in_one_line(rows: list[dict[str, Any]]) -> None:
    path = _tmp() / "s.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    try:
        suite = file_suite(str(path))
    except InputError as exc:
        _one_line(exc)
        assert "s.jsonl" in str(exc)
        return
    for b in suite.behaviors:
        assert b.text.strip() and b.model_dump_json()


@given(table=st.lists(st.lists(HOSTILE_TEXT, min_size=1, max_size=4), min_size=1, max_size=4))
def test_csv_suites_load_or_fail_in_one_line(table: list[list[str]]) -> None:
    import csv

    path = _tmp() / "s.csv"
    with path.open("w", encoding="utf-8", errors="surrogatepass", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(["text", "side", "category"][: len(table[0])])
        writer.writerows(table)
    try:
        file_suite(str(path))
    except InputError as exc:
        _one_line(exc)


@given(doc=VALUES)
def test_yaml_suites_load_or_fail_in_one_line(doc: Any) -> None:
    path = _tmp() / "s.yaml"
    path.write_text(yaml.safe_dump({"behaviors": doc}, allow_unicode=False), encoding="utf-8")
    try:
        file_suite(str(path))
    except InputError as exc:
        _one_line(exc)


KEYS = [
    "temperature",
    "max_tokens",
    "top_p",
    "seed",
    "system_prompt",
    "concurrency",
    "timeout",
    "retries",
    "batch_size",
    "extra_body",
    "base_delay",
    "nope",
]


@given(config=st.dictionaries(st.sampled_from(KEYS), VALUES, max_size=4))
def test_target_config_values_are_checked(config: dict[str, Any]) -> None:
    path = _tmp() / "t.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=False), encoding="utf-8")
    try:
        generation, _settings = load_target_config(path)
    except InputError as exc:
        _one_line(exc)
        assert "t.yaml:" in str(exc)
        return
    from tightrope.records import GenerationConfig

    GenerationConfig(**generation)  # what the file gave is what a run accepts


@given(policy=VALUES)
def test_gate_policies_load_or_fail_in_one_line(policy: Any) -> None:
    path = _tmp() / "p.yaml"
    path.write_text(yaml.safe_dump({"rules": policy}, allow_unicode=False), encoding="utf-8")
    try:
        load_policy(path)
    except InputError as exc:
        _one_line(exc)


SCHEMES = st.sampled_from(
    ["replay", "openai", "anthropic", "hf", "llamacpp", "embedded", "nope", ""]
)


@example(scheme="replay", arg="\x00")  # found by the long profile: a ValueError escaped
@example(scheme="replay", arg="[/x]\x1b.jsonl")
@given(scheme=SCHEMES, arg=st.text(max_size=20))
def test_target_specs_build_or_fail_in_one_line(scheme: str, arg: str) -> None:
    try:
        get_target(f"{scheme}:{arg}")
    except InputError as exc:
        _one_line(exc)


ATTACKS = st.sampled_from(
    ["direct", "base64", "best-of-n", "many-shot", "templates", "transfer", "pair", "tap", "nope"]
)


@given(name=ATTACKS, option=st.one_of(st.none(), st.text(max_size=12), st.integers().map(str)))
def test_attack_options_build_or_fail_in_one_line(name: str, option: str | None) -> None:
    try:
        get_attack(name if option is None else f"{name}:{option}")
    except InputError as exc:
        _one_line(exc)


JUDGE_NAMES = st.one_of(
    st.sampled_from(["refusal", "gcg-strings", "harmbench-chat", "strongreject", "panel", ""]),
    st.text(max_size=12),
)


@given(name=JUDGE_NAMES, model=st.one_of(st.none(), st.text(max_size=20)))
def test_judge_specs_build_or_fail_in_one_line(name: str, model: str | None) -> None:
    try:
        build_judges([name], judge_model=model, panel=[f"{name},{model or ''}"] if model else ())
    except InputError as exc:
        _one_line(exc)


@given(texts=st.lists(HOSTILE_TEXT, min_size=1, max_size=4))
def test_model_output_is_escaped_in_the_html_report(
    _made_run: tuple[Path, str], texts: list[str]
) -> None:
    # Model output replaces the stored answers of a real finished run; a marker tag in front of
    # each must never reach the page as a tag, whatever follows it.
    runs, _ = _made_run
    folder = _tmp()
    shutil.copytree(runs, folder / "runs")
    db = folder / "runs" / "tightrope.db"
    with closing(sqlite3.connect(db)) as conn, conn:
        rows = [r[0] for r in conn.execute("SELECT rowid FROM responses ORDER BY rowid")]
        for i, (rowid, text) in enumerate(zip(rows, texts, strict=False)):
            data = Response(text=f"<b id=pwn{i}>{text}").model_dump_json()
            conn.execute("UPDATE responses SET data=? WHERE rowid=?", (data, rowid))
    page = render_html(load_runs(folder / "runs", ["latest"]))
    assert "<b id=pwn" not in page
    assert "id=pwn0" in page  # the answer is shown, escaped
