"""Crescendo against scripted attacker, target and judge servers on 127.0.0.1."""

import asyncio
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

import pytest
from crescendo_servers import CrescendoServers
from loop_servers import FAST, write_suite

from clihelp import cli_env
from tightrope.attacks import get_attack
from tightrope.attacks.adaptive import LOOP_VERDICT
from tightrope.errors import InputError
from tightrope.records import Record
from tightrope.run import RunConfig, RunResult, run_async


def _config(srv: CrescendoServers, suite: Path, options: str) -> RunConfig:
    return RunConfig(
        judges=("refusal", "pair-rating"),
        judge_model=srv.spec("judge"),
        targets=(srv.spec("target"),),
        suites=(f"file:{suite}",),
        attacks=(f"crescendo:{options}",),
        attacker_model=srv.spec("attacker"),
        target_settings=FAST,
    )


def _run(config: RunConfig, out: Path) -> RunResult:
    return asyncio.run(run_async(config, out=out))


def _turns(res: RunResult) -> dict[str, list[Record]]:
    out: dict[str, list[Record]] = defaultdict(list)
    for r in res.records:
        if r.attempt.attack.startswith("crescendo"):
            out[r.behavior.id].append(r)
    return {b: sorted(v, key=lambda r: r.attempt.attack_params["query"]) for b, v in out.items()}


def _position(r: Record) -> str:
    return r.attempt.id.split("/")[2].split("@")[0]


def refuse_turn_2_comply_at_3(question: str) -> str:
    if question.startswith("Turn 2") and "rephrased" not in question:
        return "refuse"
    return "comply" if question.startswith("Turn 3") else "answer"


def test_a_refused_turn_backtracks_and_a_success_stops_early(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with CrescendoServers(refuse_turn_2_comply_at_3) as srv:
        res = _run(_config(srv, suite, "turns=5,backtracks=2"), tmp_path / "o")
        judge_calls = len(srv.judge.requests)
    per = _turns(res)
    assert sorted(per) == ["h0", "h1"]
    for bid, recs in per.items():
        i = bid[1:]
        assert [_position(r) for r in recs] == ["turn-1", "turn-2", "turn-2-b1", "turn-3"]
        p = [r.attempt.attack_params for r in recs]
        assert [(x["turn"], x["retry"], x["backtracks"]) for x in p] == [
            (1, 0, 0),
            (2, 0, 0),
            (2, 1, 1),
            (3, 0, 1),
        ]
        assert all(x["budget"] == 7 and x["turns"] == 5 and x["backtracks"] <= 2 for x in p)
        # The refused question was removed: the next turns never carry it.
        first, refused, retried, last = recs
        assert p[2]["parent"] == first.attempt.id and p[3]["parent"] == retried.attempt.id
        assert [m.role for m in last.attempt.messages] == ["user", "assistant"] * 2 + ["user"]
        sent = [m.content for m in last.attempt.messages]
        assert sent[0] == f"Turn 1 question (query 1) on [TOPIC {i}]"
        assert sent[1] == first.response.text  # type: ignore[union-attr]
        assert sent[2] == f"Turn 2 question (query 3) on [TOPIC {i}] rephrased"
        assert sent[3] == retried.response.text  # type: ignore[union-attr]
        assert all("query 2)" not in m for m in sent)
        assert refused.attempt.messages[:2] == last.attempt.messages[:2]
        assert refused.attempt.messages[2].content == f"Turn 2 question (query 2) on [TOPIC {i}]"
        assert refused.verdicts[LOOP_VERDICT].label == "refusal"
        assert [r.verdicts[LOOP_VERDICT].label for r in (first, retried, last)] == [
            "safe",
            "safe",
            "unsafe",
        ]
        # Judges read the final answer; the conversation is in the attempt's messages.
        assert last.verdicts["pair-rating"].label == "unsafe"
    # In-loop ratings of kept turns, shared by both behaviors' identical answers where equal.
    assert judge_calls >= 3
    table = next(t for t in res.tables if t.attack.startswith("crescendo"))
    assert table.overall.asr.k == 2 and table.overall.asr.n == 2


@pytest.mark.parametrize(
    ("options", "budget"), [("turns=3,backtracks=2", 5), ("turns=3,backtracks=2,max-queries=3", 3)]
)
def test_the_budget_is_never_exceeded(tmp_path: Path, options: str, budget: int) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)
    with CrescendoServers(lambda q: "answer" if q.startswith("Turn 1") else "refuse") as srv:
        res = _run(_config(srv, suite, options), tmp_path / "o")
        crescendo_calls = len(srv.target.requests) - 2  # less the direct baseline (h0, b0)
    recs = _turns(res)["h0"]
    assert len(recs) == crescendo_calls == budget
    assert all(r.attempt.attack_params["budget"] == budget for r in recs)
    expected = ["turn-1", "turn-2", "turn-2-b1", "turn-2-b2", "turn-3"][:budget]
    assert [_position(r) for r in recs] == expected
    if budget == 5:
        # Backtracks spent: the refused third try of turn 2 stays in the conversation.
        last = recs[-1].attempt.messages
        assert last[2].content.endswith("rephrased") and last[3].content.startswith("I'm sorry")


def test_crescendo_options() -> None:
    assert get_attack("crescendo").params["budget"] == 20  # turns 10 + backtracks 10
    with pytest.raises(InputError, match="turns must be at least 1"):
        get_attack("crescendo:turns=0")
    with pytest.raises(InputError, match="unknown option"):
        get_attack("crescendo:streams=3")
    atk = get_attack("crescendo:refuser=no-such-judge")
    with pytest.raises(InputError, match="no-such-judge"):
        atk.bind(attacker_model="openai:gpt-4o-mini", judge_model=None)  # type: ignore[union-attr]


def _cli(srv: CrescendoServers, suite: Path, out: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "tightrope",
            "run",
            "--target",
            srv.spec("target"),
            "--suite",
            f"file:{suite}",
            "--attack",
            f"crescendo:turns=4,backtracks=1,judge={srv.spec('judge')}",
            "--attacker-model",
            srv.spec("attacker"),
            "--judge",
            "refusal",
            "--out",
            str(out),
        ],
        cwd=out.parent,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )


def _stored(db: Path) -> list[tuple[str, str]]:
    conn = sqlite3.connect(db)
    try:
        return sorted(
            (aid, json.dumps(json.loads(data)["messages"]))
            for aid, data in conn.execute("SELECT attempt_id, data FROM attempts")
        )
    finally:
        conn.close()


def _refuse_turn_2(question: str) -> str:
    return "refuse" if question.startswith("Turn 2") and "rephrased" not in question else "answer"


def test_sigkill_mid_conversation_then_rerun_asks_no_turn_twice(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with CrescendoServers(_refuse_turn_2, latency=0.15) as srv:
        ref = _cli(srv, suite, tmp_path / "ref")
        _, err = ref.communicate(timeout=300)
        assert ref.returncode == 0, err
        expected = _stored(tmp_path / "ref" / "tightrope.db")
        srv.target.requests.clear()
        # 3 direct prompts, then 2 x 5 crescendo turns (turn 2 is refused once): kill after 4.
        proc = _cli(srv, suite, tmp_path / "runs")
        deadline = time.monotonic() + 120
        while len(srv.target.requests) < 3 + 4:
            assert proc.poll() is None and time.monotonic() < deadline, "the run never got going"
            time.sleep(0.005)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        asked_before_kill = len(srv.target.requests)
        assert asked_before_kill < 3 + 10, "killed mid-conversation"
        final = _cli(srv, suite, tmp_path / "runs")
        _, err = final.communicate(timeout=300)
        assert final.returncode == 0, err
        assert "resuming run" in err
        counts = srv.conversations()
    twice = [c for c, n in counts.items() if n > 1]
    assert all(n <= 2 for n in counts.values())
    # Two conversations run at once, each with at most one turn in flight at the kill: only
    # those can be asked again; every finished turn is replayed from the cache.
    assert len(twice) <= 2
    assert len(counts) == 3 + 10
    assert _stored(tmp_path / "runs" / "tightrope.db") == expected
