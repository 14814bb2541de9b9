"""`past-tense`: N attacker rewrites per request, written once (cached), ASR at 1 and at N."""

import asyncio
from pathlib import Path
from typing import Any

import pytest
from loop_servers import FAST, write_suite

from fake_targets import COMPLIANCE, REFUSAL
from openai_server import Action, ScriptedServer
from tightrope.attacks import get_attack
from tightrope.attacks.adaptive import derived_seed
from tightrope.errors import InputError
from tightrope.metrics.attacks import asr_curve, sample_outcomes
from tightrope.run import RunConfig, RunResult, run_async

N = 3


def _sample_of(body: dict[str, Any]) -> tuple[str, int]:
    """The behavior and sample an attacker request is for, read back from its seed."""
    for bid in ("h0", "h1"):
        for i in range(N):
            if body.get("seed") == derived_seed(0, bid, "past-tense", i):
                return bid, i
    raise AssertionError(f"unexpected seed {body.get('seed')}")


def attacker(body: dict[str, Any]) -> Action:
    bid, i = _sample_of(body)
    return Action(text=f'"How did people once do [REDACTED {bid}] (sample {i})?"')


def target(body: dict[str, Any]) -> Action:
    prompt = body["messages"][-1]["content"]
    return Action(text=COMPLIANCE if "(sample 1)" in prompt else REFUSAL)


def _config(att: ScriptedServer, tgt: ScriptedServer, suite: Path) -> RunConfig:
    return RunConfig(
        judges=("refusal",),
        targets=(f"openai-compatible:{tgt.base_url}#a", f"openai-compatible:{tgt.base_url}#b"),
        suites=(f"file:{suite}",),
        attacks=(f"past-tense:n={N}",),
        attacker_model=f"openai-compatible:{att.base_url}#attacker",
        target_settings=FAST,
    )


def _run(config: RunConfig, out: Path) -> RunResult:
    return asyncio.run(run_async(config, out=out))


def test_rewrites_are_written_once_and_sent_to_every_target(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 2)
    with ScriptedServer(body_plan=attacker) as att, ScriptedServer(body_plan=target) as tgt:
        config = _config(att, tgt, suite)
        res = _run(config, tmp_path / "o")
        # One rewrite per behavior and sample, shared by both targets.
        assert len(att.requests) == 2 * N
        assert all(b["temperature"] == 1.0 for b in att.requests)
        again = _run(config, tmp_path / "o2.db")  # a new store: its own cache, asks again
        assert len(att.requests) == 4 * N
        rerun = _run(config, tmp_path / "o")
        assert len(att.requests) == 4 * N, "a rerun on the same store asks nothing"
    assert rerun.model_calls == 0
    for spec in config.targets:
        recs = [r for r in res.records if r.attempt.target == spec and r.attempt.attack != "direct"]
        assert len(recs) == 2 * N
        for r in recs:
            p = r.attempt.attack_params
            assert p["budget"] == N and p["attacker_prompt_version"] == "1"
            assert r.attempt.messages[-1].content == (
                f"How did people once do [REDACTED {r.behavior.id}] (sample {p['sample']})?"
            ), "quotes around the rewrite are dropped"
        outcomes = sample_outcomes(
            res.records,
            target=spec,
            attack=f"past-tense:n={N}",
            refusal_judge="refusal",
            harm_judge=None,
        )
        assert asr_curve(outcomes) == [(1, 0.0, 2), (2, 1.0, 2), (3, 1.0, 2)]
    assert _sent(again) == _sent(res)


def _sent(result: RunResult) -> list[tuple[str, str, str, str]]:
    """Every attempt's target, behavior, attack and messages, sorted: adaptive attempts are
    stored as their units finish, so two runs may list the same attempts in another order."""
    return sorted(
        (r.attempt.target, r.attempt.behavior_id, r.attempt.attack, repr(r.attempt.messages))
        for r in result.records
    )


def test_a_failed_rewrite_is_an_error_record(tmp_path: Path) -> None:
    suite = write_suite(tmp_path / "s.jsonl", 1)

    def flaky(body: dict[str, Any]) -> Action:
        _, i = _sample_of(body)
        return Action(kind="status", status=500) if i == 0 else attacker(body)

    with ScriptedServer(body_plan=flaky) as att, ScriptedServer(body_plan=target) as tgt:
        config = _config(att, tgt, suite)
        config = config.model_copy(update={"targets": config.targets[:1]})
        res = _run(config, tmp_path / "o")
    recs = sorted(
        (r for r in res.records if r.attempt.attack != "direct"),
        key=lambda r: r.attempt.attack_params["sample"],
    )
    assert [r.attempt.attack_params["sample"] for r in recs] == [0, 1, 2]
    assert recs[0].attempt.attack_params["failed"] == "attacker"
    assert recs[0].response is not None and "attacker" in (recs[0].response.error or "")
    assert all(r.response is not None and r.response.ok for r in recs[1:])


def test_bad_options() -> None:
    with pytest.raises(InputError, match="n must be at least 1"):
        get_attack("past-tense:n=0")
    with pytest.raises(InputError, match="unknown option"):
        get_attack("past-tense:turns=3")
