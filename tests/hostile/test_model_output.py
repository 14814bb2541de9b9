"""Hostile model output: whatever a model returns lands in the store or as an error record."""

from __future__ import annotations

from pathlib import Path

from clihelp import tightrope
from tightrope.records import Behavior, Message, Response, Verdict
from tightrope.store import Store

RUN = ("run", "--judge", "refusal", "--limit", "2")


def test_lone_surrogate_from_a_model_is_stored_and_the_run_finishes(tmp_path: Path) -> None:
    r = tightrope(*RUN, "--target", "python:fake_targets:surrogate", "--out", "o", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Traceback" not in r.stderr
    store = Store.open(tmp_path / "o")
    try:
        [info] = store.runs()
        assert info.status == "finished"
        texts = [rec.response.text for rec in store.records(info.run_id) if rec.response]
    finally:
        store.close()
    assert texts and all(t is not None and "\ufffd" in t for t in texts)


def test_records_replace_lone_surrogates_and_keep_pairs() -> None:
    pair = "\ud83d\ude00"  # a surrogate pair as a UTF-16 decoder may leave it: one emoji
    r = Response(text=f"a\udc00b{pair}", error=None)
    assert r.text == "a\ufffdb\U0001f600"
    assert Response.model_validate_json(r.model_dump_json()) == r
    v = Verdict(judge="j", judge_version="1", kind="refusal", label="error", raw="\ud800")
    assert v.model_dump_json()
    m = Message(role="user", content="\udfff")
    assert m.content == "\ufffd"
    b = Behavior(
        id="x\ud800",
        text="t",
        side="harmful",
        category="S1",
        source_category="c",
        source="s",
        meta={"k": ["\ud800"]},
    )
    assert b.model_dump_json() and b.meta == {"k": ["\ufffd"]}
