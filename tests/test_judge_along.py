"""Judging along generation (run/overlap.py): same verdicts as judging after it, judges called
while answers are still being generated, cached answers judged too, a resumed run judging each
response once, and a raising judge giving error verdicts without losing a response.

The order is proven by events, never by timing: the `held` target holds its later answers until
a judge has been called, which only judging along generation can do."""

import asyncio
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import pytest

import fake_targets
from fake_targets import ALONG, along_reset
from tightrope.judges import JudgeItem, get_judge, judges
from tightrope.records import JudgeKind, Verdict
from tightrope.run import RunConfig, run_async
from tightrope.run import runner as runner_module
from tightrope.run.overlap import overlapping
from tightrope.run.result import opened

HELD = "python:fake_targets:held"
N = 16


@dataclass(frozen=True)
class Recorder:
    """The `refusal` rule judge, logging ('judge', behavior ids) and opening the held target."""

    name: str = "along-recorder"
    version: str = "1"
    kind: JudgeKind = "refusal"

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        ALONG["events"].append(("judge", tuple(i.behavior.id for i in items)))
        if ALONG.get("open_on_judge", True):
            ALONG["open"] = True
        rule = await get_judge("refusal").judge(list(items))
        return [v.model_copy(update={"judge": self.name}) for v in rule]


@dataclass(frozen=True)
class Raises:
    """A judge with a bug: every call raises."""

    name: str = "along-raises"
    version: str = "1"
    kind: JudgeKind = "refusal"

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        ALONG["open"] = True
        raise RuntimeError("judge broke")


for _name, _cls in (("along-recorder", Recorder), ("along-raises", Raises)):
    if _name not in judges:
        judges.register(_name)(_cls)


def _config(limit: int = N, judges_: tuple[str, ...] = ("refusal", "along-recorder")) -> RunConfig:
    return RunConfig(
        targets=(HELD,), limit=limit, judges=judges_, target_settings={"concurrency": 2}
    )


def _run(out: Path, config: RunConfig) -> object:
    return asyncio.run(run_async(config, out=out))


def _sequential(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(runner_module, "overlapping", lambda judges, targets: {})


def _labels(res: object) -> dict[tuple[str, str], str]:
    return {
        (r.behavior.id, name): v.label
        for r in res.records  # type: ignore[attr-defined]
        for name, v in r.verdicts.items()
    }


def _kinds() -> list[str]:
    return [kind for kind, _ in ALONG["events"]]


def test_verdicts_along_equal_the_sequential_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = _config(judges_=("refusal", "gcg-strings", "along-recorder"))
    along_reset(hold_after=3)
    along = _run(tmp_path / "along", config)
    assert _kinds().index("judge") < len(_kinds()) - 1 - _kinds()[::-1].index("gen")
    _sequential(monkeypatch)
    along_reset(hold_after=10**9)
    sequential = _run(tmp_path / "sequential", config)
    assert _kinds()[-1] == "judge" and _kinds().count("gen") == N
    assert len(_labels(along)) == 3 * N
    assert _labels(along) == _labels(sequential)


def test_judges_are_called_before_generation_ends(tmp_path: Path) -> None:
    along_reset(hold_after=4)
    res = _run(tmp_path, _config())
    kinds = _kinds()
    first_judge = kinds.index("judge")
    last_gen = len(kinds) - 1 - kinds[::-1].index("gen")
    assert first_judge < last_gen
    # Only the 4 answers given before the gate could have been judged first.
    assert kinds[:first_judge].count("gen") <= 4
    assert kinds.count("gen") == N
    assert all(set(r.verdicts) == {"refusal", "along-recorder"} for r in res.records)


def test_cached_answers_are_judged_along(tmp_path: Path) -> None:
    along_reset(hold_after=10**9)
    first = _run(tmp_path, _config(limit=6))
    cached = {r.behavior.id for r in first.records}
    along_reset(hold_after=0)  # every new answer waits for a judge call
    res = _run(tmp_path, _config())
    assert res.cache_hits == 6 and res.model_calls == N - 6
    kind, ids = ALONG["events"][0]
    assert kind == "judge" and set(ids) <= cached and ids
    assert all(set(r.verdicts) == {"refusal", "along-recorder"} for r in res.records)


def test_a_run_interrupted_mid_run_then_resumed_judges_each_answer_once(tmp_path: Path) -> None:
    along_reset(hold_after=6)
    ALONG["open_on_judge"] = False  # the test opens the gate, after the interruption

    async def interrupted() -> None:
        task = asyncio.create_task(run_async(_config(), out=tmp_path))
        for _ in range(6000):  # at most about 30 s: the answers before the gate, judged
            if "judge" in _kinds() and ALONG["started"] > 6:
                break
            await asyncio.sleep(0.005)
        assert "judge" in _kinds(), "nothing was judged along before the interruption"
        task.cancel()  # what Ctrl-C does to the run
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(interrupted())
    with opened(tmp_path) as store:
        [run] = store.runs()
        counts = store.counts(run.run_id)
        judged_before = sum("along-recorder" in r.verdicts for r in store.records(run.run_id))
    assert 0 < counts["responses"] < N
    assert judged_before > 0
    ALONG["open"] = True
    res = _run(tmp_path, _config())
    assert res.resumed and res.run_id == run.run_id
    judged = Counter(i for kind, ids in ALONG["events"] if kind == "judge" for i in ids)
    assert set(judged.values()) == {1}, "no answer is judged twice"
    assert set(judged) == {r.behavior.id for r in res.records}
    assert all(set(r.verdicts) == {"refusal", "along-recorder"} for r in res.records)


@pytest.mark.parametrize("along", [True, False])
def test_a_raising_judge_gives_error_verdicts_and_keeps_every_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, along: bool
) -> None:
    if not along:
        _sequential(monkeypatch)
    along_reset(hold_after=4 if along else 10**9)
    res = _run(tmp_path, _config(judges_=("refusal", "along-raises")))
    assert len(res.records) == N
    for r in res.records:
        assert r.response is not None and r.response.ok
        assert r.verdicts["refusal"].label in {"refusal", "compliance"}
        bad = r.verdicts["along-raises"]
        assert bad.label == "error" and "RuntimeError: judge broke" in (bad.reason or "")


def test_judges_that_compute_wait_for_a_local_target() -> None:
    rule = SimpleNamespace()
    remote = SimpleNamespace(model=SimpleNamespace(spec="openai-compatible:http://h/v1#m"))
    local = SimpleNamespace(model=SimpleNamespace(spec="embedded:default"))
    panel = SimpleNamespace(members=[remote, remote])
    mixed = SimpleNamespace(members=[remote, local])
    js = {"rule": rule, "remote": remote, "local": local, "panel": panel, "mixed": mixed}
    assert set(overlapping(js, ["openai-compatible:http://h/v1#t"])) == set(js)
    assert set(overlapping(js, ["python:fake_targets:rule"])) == set(js)
    assert set(overlapping(js, ["embedded:default", "python:x:y"])) == {"remote", "panel"}
    assert set(overlapping(js, ["hf:some/model"])) == {"remote", "panel"}
    assert fake_targets.ALONG is ALONG
