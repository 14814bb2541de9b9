"""PAIR against scripted attacker, target and judge servers on 127.0.0.1."""

import asyncio
from collections import defaultdict
from pathlib import Path

import pytest
from loop_servers import FAST, LoopServers, Script, write_suite

from tightrope.attacks import get_attack
from tightrope.attacks.adaptive import LOOP_VERDICT
from tightrope.errors import InputError
from tightrope.records import Record
from tightrope.run import RunConfig, RunResult, run_async

N_HARMFUL = 3


def _config(srv: LoopServers, suite: Path, options: str) -> RunConfig:
    return RunConfig(
        judges=("refusal",),
        targets=(srv.target_spec,),
        suites=(f"file:{suite}",),
        attacks=(f"pair:{options},judge={srv.judge_spec}",),
        attacker_model=srv.attacker_spec,
        target_settings=FAST,
    )


def _run(config: RunConfig, out: Path) -> RunResult:
    return asyncio.run(run_async(config, out=out))


def _pair_records(res: RunResult) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = defaultdict(list)
    for r in res.records:
        if r.attempt.attack.startswith("pair"):
            out[r.behavior.id].append(r)
    return out


def _content(res: RunResult) -> list[tuple[str, str, str | None]]:
    return sorted(
        (r.attempt.id, r.attempt.messages[-1].content, r.response.text if r.response else None)
        for r in res.records
    )


def test_budget_is_respected_exactly_without_success(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", N_HARMFUL)
    with LoopServers(Script()) as srv:
        res = _run(_config(srv, suite, "streams=3,iterations=4"), tmp_path / "o")
        attacker, target, judge = srv.counts()
    per = _pair_records(res)
    assert sorted(per) == [f"h{i}" for i in range(N_HARMFUL)], "benign behaviors are not attacked"
    for recs in per.values():
        assert len(recs) == 12
        assert sorted(r.attempt.index for r in recs) == list(range(12))
        assert {
            (r.attempt.attack_params["iteration"], r.attempt.attack_params["stream"]) for r in recs
        } == {(i, s) for i in range(4) for s in range(3)}
        by_id = {r.attempt.id: r for r in recs}
        for r in recs:
            p = r.attempt.attack_params
            assert p["streams"] == 3 and p["iterations"] == 4 and p["seed"] == 0
            assert p["attacker"] == srv.attacker_spec and p["judge"] == srv.judge_spec
            if p["iteration"] == 0:
                assert p["parent"] is None
            else:
                parent = by_id[p["parent"]].attempt.attack_params
                assert (parent["iteration"], parent["stream"]) == (p["iteration"] - 1, p["stream"])
            assert r.verdicts[LOOP_VERDICT].label == "safe"
            assert r.verdicts["refusal"].label == "refusal"
    # Every target query is a stored attempt: the target saw the direct baseline plus PAIR.
    behaviors = N_HARMFUL + 1
    assert target == behaviors + 12 * N_HARMFUL
    assert attacker == 12 * N_HARMFUL
    # The rating prompt holds the task and the response: the same refusal to the same task is
    # one judge call, answered from the cache after that.
    assert judge == N_HARMFUL
    pair_table = next(t for t in res.tables if t.attack.startswith("pair"))
    assert pair_table.overall.asr.k == 0 and pair_table.overall.asr.n == N_HARMFUL


def test_max_queries_cuts_the_last_round(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with LoopServers(Script()) as srv:
        res = _run(_config(srv, suite, "streams=3,iterations=4,max-queries=7"), tmp_path / "o")
    for recs in _pair_records(res).values():
        assert len(recs) == 7
        assert sorted(r.attempt.attack_params["iteration"] for r in recs) == [0] * 3 + [1] * 3 + [2]


def test_early_stop_after_the_round_that_succeeds(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", N_HARMFUL)
    with LoopServers(Script(win_on="escalated")) as srv:
        res = _run(_config(srv, suite, "streams=3,iterations=5"), tmp_path / "o")
    for recs in _pair_records(res).values():
        assert len(recs) == 6, "round 2 succeeds, so rounds 3-5 never run"
        wins = [r for r in recs if r.verdicts[LOOP_VERDICT].label == "unsafe"]
        assert {r.attempt.attack_params["iteration"] for r in wins} == {1}
    table = next(t for t in res.tables if t.attack.startswith("pair"))
    assert table.overall.asr.k == N_HARMFUL


def test_rerunning_a_finished_run_makes_zero_model_calls(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with LoopServers(Script(win_on="escalated")) as srv:
        config = _config(srv, suite, "streams=2,iterations=3")
        first = _run(config, tmp_path / "o")
        before = srv.counts()
        again = _run(config, tmp_path / "o")
        assert srv.counts() == before
    assert first.model_calls > 0
    assert again.model_calls == 0 and again.run_id != first.run_id
    assert again.cache_hits >= first.model_calls - 2  # the direct baseline: 3 calls, 3 hits
    assert _content(again) == _content(first)
    roles = {u.role for u in first.usage}
    assert {"target", "attacker", "judge"} <= roles


def test_unparseable_attacker_replies_are_retried_then_end_the_stream(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    # Every second attacker reply is not JSON: each proposal needs one retry, none is lost.
    with LoopServers(Script(broken_attacker_every=2)) as srv:
        res = _run(_config(srv, suite, "streams=2,iterations=2"), tmp_path / "o")
    recs = _pair_records(res)["h0"]
    assert 1 <= len(recs) <= 4
    assert all(r.response is not None and r.response.ok for r in recs)


def test_pair_needs_an_attacker_model(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    config = RunConfig(
        judges=("refusal",),
        targets=("python:fake_targets:rule",),
        suites=(f"file:{suite}",),
        attacks=("pair",),
    )
    with pytest.raises(InputError, match="--attacker-model"):
        _run(config, tmp_path / "o")
    assert not (tmp_path / "o").exists(), "bad input fails before the store is created"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("pair:streams=0", "streams must be at least 1"),
        ("pair:streems=3", "unknown option"),
        ("pair:iterations=x", "iterations must be a whole number"),
        ("pair:success-score=11", "success-score must be from 1 to 10"),
    ],
)
def test_bad_pair_options(spec: str, message: str) -> None:
    with pytest.raises(InputError, match=message):
        get_attack(spec)


def test_a_killed_run_resumes_from_the_cache_and_keeps_the_budget(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with LoopServers(Script()) as srv:
        config = _config(srv, suite, "streams=3,iterations=4")

        async def kill_after(n_target_requests: int) -> None:
            task = asyncio.create_task(run_async(config, out=tmp_path / "o"))
            while len(srv.target.requests) < n_target_requests and not task.done():
                await asyncio.sleep(0.002)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(kill_after(12))
        before = srv.counts()
        assert 0 < before[1] < 3 + 24, "killed part-way"
        resumed = _run(config, tmp_path / "o")
        made = tuple(b - a for a, b in zip(before, srv.counts(), strict=True))
        again = _run(config, tmp_path / "o")
    assert resumed.resumed
    assert resumed.model_calls == sum(made), "every call the resume made is counted"
    assert resumed.cache_hits > 0, "calls made before the kill are replayed from the cache"
    per = _pair_records(resumed)
    for recs in per.values():
        assert len(recs) == 12 and len({r.attempt.id for r in recs}) == 12
        assert all(r.response is not None and r.response.ok for r in recs)
        assert all(r.verdicts["refusal"].ok and r.verdicts[LOOP_VERDICT].ok for r in recs)
    assert again.model_calls == 0 and _content(again) == _content(resumed)


def test_an_attacker_that_never_writes_a_prompt_is_an_error_not_a_safe_behavior(
    tmp_path: Path,
) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    with LoopServers(Script(broken_attacker_every=1)) as srv:
        res = _run(_config(srv, suite, "streams=2,iterations=2"), tmp_path / "o")
        assert srv.counts()[1] == 2, "the target saw only the direct baseline"
    [rec] = _pair_records(res)["h0"]
    assert rec.attempt.attack_params["failed"] == "no-query"
    assert rec.response is not None and "made no target query" in (rec.response.error or "")
    table = next(t for t in res.tables if t.attack.startswith("pair"))
    assert table.overall.asr.n == 0 and table.overall.asr.errors == 1


def test_a_failed_attacker_call_is_an_error_record_and_a_rerun_retries_it(
    tmp_path: Path,
) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    script = Script(attacker_down_after_first=True)
    with LoopServers(script) as srv:
        config = _config(srv, suite, "streams=2,iterations=3")
        res = _run(config, tmp_path / "o")
        recs = _pair_records(res)["h0"]
        failed = [r for r in recs if r.attempt.attack_params.get("failed") == "attacker"]
        sent = [r for r in recs if "failed" not in r.attempt.attack_params]
        assert len(sent) == 2 and len(failed) == 2, "round 1 sent, round 2 failed per stream"
        assert all(r.response and "503" in (r.response.error or "") for r in failed)
        table = next(t for t in res.tables if t.attack.startswith("pair"))
        assert table.overall.asr.errors == 1, "not safe: the search could not finish"
        # The attacker is back: the same command (a new run over the cache) retries the call.
        script.attacker_down_after_first = False
        again = _run(config, tmp_path / "o")
    recs = _pair_records(again)["h0"]
    assert len(recs) == 6 and all(r.response and r.response.ok for r in recs)
    assert again.model_calls > 0


def test_a_resumed_search_that_takes_another_path_replaces_its_old_attempts(
    tmp_path: Path,
) -> None:
    import sqlite3

    suite = write_suite(tmp_path / "s.jsonl", 1)
    script = Script(attacker_down_after_first=True)
    with LoopServers(script) as srv:
        config = _config(srv, suite, "streams=2,iterations=3")
        first = _run(config, tmp_path / "o")
        # Pretend the run was killed: it stays 'running', so the same command resumes it.
        db = sqlite3.connect(tmp_path / "o" / "tightrope.db")
        db.execute("UPDATE runs SET status='running'")
        db.commit()
        db.close()
        script.attacker_down_after_first = False
        resumed = _run(config, tmp_path / "o")
    assert resumed.resumed and resumed.run_id == first.run_id
    recs = _pair_records(resumed)["h0"]
    assert len(recs) == 6, "the two failure records were replaced, none is left over"
    assert all("failed" not in r.attempt.attack_params for r in recs)
    assert all(r.response and r.response.ok and r.verdicts["refusal"].ok for r in recs)
    assert len({r.attempt.id for r in recs}) == 6
