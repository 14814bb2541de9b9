"""The pipeline over real SQLite with a deterministic `python:` target (no model weights)."""

import asyncio
from pathlib import Path

import pytest

from fake_targets import COMPLIANCE, REFUSAL, answer_for
from tightrope.errors import InputError, UnknownNameError
from tightrope.records import GenerationConfig
from tightrope.run import RunConfig, run_async
from tightrope.store import Store

RULE = "python:fake_targets:rule"


def _run(tmp_path: Path, **kw: object) -> object:
    kw.setdefault("judges", ("refusal",))
    config = RunConfig(targets=(kw.pop("target", RULE),), limit=kw.pop("limit", 20), **kw)
    return asyncio.run(run_async(config, out=tmp_path))


def test_run_stores_every_record_and_rates_match_the_rule(tmp_path: Path) -> None:
    res = _run(tmp_path)
    assert res.model_calls == 20 and res.cache_hits == 0 and res.errors == 0
    assert len(res.records) == 20
    for r in res.records:
        assert r.response is not None and r.response.text == answer_for(r.behavior.text)
        expected = "refusal" if r.response.text == REFUSAL else "compliance"
        assert r.verdicts["refusal"].label == expected
    harmful = [r for r in res.records if r.behavior.side == "harmful"]
    complied = sum(r.response.text == COMPLIANCE for r in harmful)
    overall = res.tables[0].overall
    assert (overall.asr.k, overall.asr.n) == (complied, len(harmful))


def test_rerun_of_finished_run_makes_zero_model_calls(tmp_path: Path) -> None:
    first = _run(tmp_path)
    second = _run(tmp_path)
    assert second.run_id != first.run_id
    assert second.model_calls == 0 and second.cache_hits == 20
    assert [r.response for r in second.records] == [r.response for r in first.records]
    assert second.tables == first.tables


def test_changed_generation_parameters_miss_the_cache(tmp_path: Path) -> None:
    _run(tmp_path)
    other = _run(tmp_path, generation=GenerationConfig(max_tokens=7))
    assert other.model_calls == 20


def test_failed_calls_are_errors_never_verdicts(tmp_path: Path) -> None:
    res = _run(tmp_path, target="python:fake_targets:flaky", limit=40, max_error_rate=0.0)
    failed = [r for r in res.records if r.response is None or not r.response.ok]
    assert failed, "the flaky target must fail some calls for this test to mean anything"
    for r in failed:
        assert r.response is not None and "simulated backend failure" in (r.response.error or "")
        assert r.verdicts == {}
    overall = res.tables[0].overall
    assert overall.asr.errors + overall.not_overrefuse.errors == len(failed)
    assert overall.asr.n + overall.not_overrefuse.n == 40 - len(failed)
    assert res.errors == len(failed) and res.error_rate_exceeded


def test_failed_calls_are_retried_on_the_next_run(tmp_path: Path) -> None:
    first = _run(tmp_path, target="python:fake_targets:flaky", limit=40)
    failed = sum(1 for r in first.records if not r.response or not r.response.ok)
    again = _run(tmp_path, target="python:fake_targets:flaky", limit=40)
    assert again.resumed is False
    assert again.model_calls == failed and again.cache_hits == 40 - failed


def test_non_text_answer_is_an_error(tmp_path: Path) -> None:
    res = _run(tmp_path, target="python:fake_targets:not_text", limit=2)
    assert all(r.response and "expected str" in (r.response.error or "") for r in res.records)
    assert res.tables[0].overall.asr.n == 0


def test_several_targets_get_one_table_each(tmp_path: Path) -> None:
    config = RunConfig(judges=("refusal",), targets=(RULE, "python:fake_targets:flaky"), limit=4)
    res = asyncio.run(run_async(config, out=tmp_path))
    assert [t.target for t in res.tables] == [RULE, "python:fake_targets:flaky"]
    assert len(res.records) == 8


def test_several_judges_all_stored(tmp_path: Path) -> None:
    res = _run(tmp_path, judges=("refusal", "gcg-strings", "xstest-strings"), limit=4)
    for r in res.records:
        assert set(r.verdicts) == {"refusal", "gcg-strings", "xstest-strings"}
    assert res.tables[0].refusal_judge == "refusal"


def test_unknown_names_raise_with_valid_names(tmp_path: Path) -> None:
    with pytest.raises(UnknownNameError, match=r"valid judges: .*refusal"):
        _run(tmp_path, judges=("nope",))
    with pytest.raises(UnknownNameError, match=r"valid suites: .*starter"):
        _run(tmp_path, suites=("nope",))
    with pytest.raises(InputError, match="SCHEME:NAME"):
        _run(tmp_path, target="no-colon")


def test_resume_by_id_uses_stored_config(tmp_path: Path) -> None:
    first = _run(tmp_path, limit=6)
    config = RunConfig(
        judges=("refusal",), targets=(RULE,), limit=2
    )  # ignored: the stored config wins
    res = asyncio.run(run_async(config, out=tmp_path, resume=first.run_id))
    assert res.run_id == first.run_id and len(res.records) == 6 and res.model_calls == 0
    store = Store.open(tmp_path)
    assert store.counts(first.run_id)["responses"] == 6


def test_judge_stage_hands_each_batch_to_every_judge_in_turn(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Judged in this process, batch by batch across the judges (not one judge over every
    batch, then the next), so that the learned judges can share the MiniLM features of a batch;
    every response still gets one verdict from each judge."""
    import tightrope.run.judge as judge_module
    import tightrope.run.runner as runner

    calls: list[tuple[str, int]] = []
    original = judge_module.judge_rowids

    async def watched(*args: object) -> int:
        calls.append((str(args[2]), len(args[4])))  # type: ignore[arg-type]
        return await original(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(judge_module, "judge_rowids", watched)
    monkeypatch.setattr(judge_module, "JUDGE_BATCH", 3)
    monkeypatch.setattr(runner, "overlapping", lambda judges, targets: {})  # all to the stage
    res = _run(tmp_path, judges=("refusal", "gcg-strings"), limit=8)
    assert calls == [
        ("refusal", 3),
        ("gcg-strings", 3),
        ("refusal", 3),
        ("gcg-strings", 3),
        ("refusal", 2),
        ("gcg-strings", 2),
    ]
    assert all(set(r.verdicts) == {"refusal", "gcg-strings"} for r in res.records)


def test_batches_are_even_sorted_and_cover_everything() -> None:
    from tightrope.records import Attempt, Message
    from tightrope.run.generate import batches

    items = [
        (
            Attempt(
                id=f"a{i}",
                behavior_id=f"b{i}",
                target="t:x",
                messages=(Message(role="user", content="x" * ((i * 7) % 23 + 1)),),
            ),
            f"k{i}",
        )
        for i in range(148)
    ]
    out = batches(items, 48)
    assert [len(b) for b in out] == [37, 37, 37, 37]
    flat = [a.id for b in out for a, _ in b]
    assert sorted(flat) == sorted(a.id for a, _ in items)
    lengths = [len(a.messages[0].content) for b in out for a, _ in b]
    assert lengths == sorted(lengths)
    assert [len(b) for b in batches(items[:5], 1)] == [1] * 5
    assert batches([], 16) == []


def test_targets_are_released_before_judging_unless_a_judge_calls_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A target's loaded weights are freed after the last generation, before the judges run
    (issue 14: `make run`'s peak memory); a model an LLM judge calls stays loaded."""
    import tightrope.run.runner as runner
    from tightrope.targets.cached import CachedModel

    released: list[str] = []
    seen_by_judges: list[list[str]] = []
    monkeypatch.setattr(CachedModel, "release", lambda self: released.append(self.spec))
    judge_stage = runner.judge_stage

    async def watched(*args: object, **kwargs: object) -> None:
        seen_by_judges.append(list(released))
        await judge_stage(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "judge_stage", watched)
    other = "python:fake_targets:always_a"
    _run(tmp_path / "a", target=RULE, limit=4)
    assert seen_by_judges == [[RULE]]
    released.clear()
    seen_by_judges.clear()
    # The target is also the model of an LLM judge: it stays; another target is released.
    config = RunConfig(
        targets=(RULE, other), judges=("refusal", "pair-rating"), judge_model=RULE, limit=4
    )
    asyncio.run(run_async(config, out=tmp_path / "b"))
    assert seen_by_judges == [[other]]
