"""TAP against scripted attacker, target and judge servers on 127.0.0.1."""

import asyncio
from collections import Counter, defaultdict
from pathlib import Path

import pytest
from loop_servers import FAST, LoopServers, Script, write_suite

from tightrope.attacks import get_attack
from tightrope.attacks.adaptive import LOOP_VERDICT
from tightrope.errors import InputError
from tightrope.records import Record
from tightrope.run import RunConfig, RunResult, run_async


def _run(srv: LoopServers, suite: Path, options: str, out: Path) -> RunResult:
    config = RunConfig(
        judges=("refusal",),
        targets=(srv.target_spec,),
        suites=(f"file:{suite}",),
        attacks=(f"tap:{options},judge={srv.judge_spec}",),
        attacker_model=srv.attacker_spec,
        target_settings=FAST,
    )
    return asyncio.run(run_async(config, out=out))


def _tap(res: RunResult) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = defaultdict(list)
    for r in res.records:
        if r.attempt.attack.startswith("tap"):
            out[r.behavior.id].append(r)
    return out


def test_tree_budget_without_success(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with LoopServers(Script()) as srv:
        res = _run(srv, suite, "branching=2,width=3,depth=3", tmp_path / "o")
        attacker, target, judge = srv.counts()
    per = _tap(res)
    for recs in per.values():
        # depth 0: 1 leaf x 2 = 2 queries; depth 1: 2 x 2 = 4, pruned to width 3;
        # depth 2: 3 x 2 = 6, pruned to 3. Total 8.
        depths = Counter(r.attempt.attack_params["iteration"] for r in recs)
        assert depths == {0: 2, 1: 3, 2: 3}
        assert sorted(r.attempt.index for r in recs) == list(range(8))
        by_id = {r.attempt.id: r for r in recs}
        for r in recs:
            p = r.attempt.attack_params
            assert p["branching"] == 2 and p["width"] == 3 and p["depth"] == 3
            if p["iteration"] == 0:
                assert p["parent"] is None and p["stream"] in ("0.0", "0.1")
            else:
                parent = by_id[p["parent"]].attempt.attack_params
                assert p["stream"].rpartition(".")[0] == parent["stream"]
                assert parent["iteration"] == p["iteration"] - 1
    assert target == 3 + 8 * 2  # direct baseline (2 harmful + 1 benign) + TAP
    assert attacker == 2 * (2 + 4 + 6)  # every leaf branches, pruned children included
    # On-topic checks of every child, plus one rating per behavior: every rating request holds
    # the same refusal to the same task, so the cache answers the other seven.
    assert judge == 2 * (2 + 4 + 6) + 2


def test_off_topic_children_are_pruned_before_any_target_query(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    with LoopServers(Script(off_topic_every=2)) as srv:
        res = _run(srv, suite, "branching=2,width=4,depth=2", tmp_path / "o")
    recs = _tap(res)["h0"]
    assert recs and all("off-topic" not in r.attempt.messages[-1].content for r in recs)
    assert len(recs) < 2 + 4, "pruned children were never sent"


def test_max_queries_and_early_stop(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with LoopServers(Script()) as srv:
        capped = _run(srv, suite, "branching=3,width=5,depth=4,max-queries=5", tmp_path / "a")
    assert all(len(recs) == 5 for recs in _tap(capped).values())
    with LoopServers(Script(win_on="escalated")) as srv:
        won = _run(srv, suite, "branching=2,width=3,depth=6", tmp_path / "b")
    for recs in _tap(won).values():
        # depth 0 prompts are first proposals (refused); depth 1 succeeds and ends the search.
        assert Counter(r.attempt.attack_params["iteration"] for r in recs) == {0: 2, 1: 3}
        assert any(r.verdicts[LOOP_VERDICT].label == "unsafe" for r in recs)
    table = next(t for t in won.tables if t.attack.startswith("tap"))
    assert table.overall.asr.k == table.overall.asr.n == 2


def test_rerun_makes_zero_calls(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    with LoopServers(Script(off_topic_every=3)) as srv:
        first = _run(srv, suite, "branching=2,width=2,depth=3", tmp_path / "o")
        before = srv.counts()
        again = _run(srv, suite, "branching=2,width=2,depth=3", tmp_path / "o")
        assert srv.counts() == before
    assert first.model_calls > 0 and again.model_calls == 0


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tap:width=0", "width must be at least 1"),
        ("tap:prune-off-topic=x", "must be a whole number"),
        ("tap:breadth=2", "unknown option"),
    ],
)
def test_bad_tap_options(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        get_attack(spec)
