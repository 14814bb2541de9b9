"""Cache control: --cache modes, source versions of python: targets, version= for endpoints,
`tightrope cache info|prune`, and the instrument's record of cache use."""

from __future__ import annotations

import asyncio
import json
import sqlite3
import textwrap
from collections.abc import Iterable, Sequence
from pathlib import Path

import pytest

from clihelp import tightrope
from tightrope import evaluate
from tightrope.records import GenerationConfig, Message, Response
from tightrope.run.defaults import CACHE_MODES
from tightrope.targets.cached import CACHE_MODES as WRAPPER_MODES
from tightrope.targets.cached import CachedModel
from tightrope.targets.openai_compat import openai_compatible_target
from tightrope.targets.python_fn import PythonTarget

ARGS = ("--judge", "refusal", "--limit", "4")


class Counting:
    """A backend that answers with the number of calls so far."""

    spec = "count:x"
    version = "1"
    max_batch_size = 4
    max_concurrency = 1

    def __init__(self) -> None:
        self.n = 0

    def load(self) -> None:
        return None

    async def generate(
        self, batch: Sequence[Sequence[Message]], config: GenerationConfig
    ) -> list[Response]:
        self.n += len(batch)
        return [Response(text=f"answer {self.n}") for _ in batch]

    async def aclose(self) -> None:
        return None


class DictCache:
    """An in-memory ResponseCache."""

    def __init__(self) -> None:
        self.data: dict[str, tuple[Response, str | None]] = {}

    def cached(self, keys: Iterable[str], version: str | None = None) -> dict[str, Response]:
        return {
            k: self.data[k][0]
            for k in keys
            if k in self.data and (version is None or self.data[k][1] in (None, version))
        }

    def put_cache(
        self, items: Sequence[tuple[str, str, Response]], version: str | None = None
    ) -> None:
        self.data.update({k: (r, version) for k, _, r in items if r.ok})


def _ask(model: CachedModel) -> str:
    convo = [[Message(role="user", content="hi")]]
    responses, _ = asyncio.run(model.call(convo, GenerationConfig()))
    assert responses[0].text is not None
    return responses[0].text


def test_the_modes_read_and_write_as_named() -> None:
    assert CACHE_MODES == WRAPPER_MODES
    cache = DictCache()
    inner = Counting()
    model = CachedModel(inner, cache)
    assert _ask(model) == "answer 1" and _ask(model) == "answer 1"  # read-write
    model.attach(cache, "off")
    assert _ask(model) == "answer 2" and _ask(model) == "answer 3"
    model.attach(cache, "read-only")
    assert _ask(model) == "answer 1"  # the cache was not written while off
    model.attach(cache, "refresh")
    assert _ask(model) == "answer 4"
    model.attach(cache, "read-write")
    assert _ask(model) == "answer 4"  # refresh replaced the cached answer
    fresh = DictCache()
    model.attach(fresh, "read-only")
    _ask(model)
    assert fresh.data == {}
    assert inner.n == 5 and model.calls == 5


def _said(proc: object) -> str:
    """Return a finished command's stdout on one line (rich wraps long store paths)."""
    return " ".join(str(getattr(proc, "stdout", "")).split())


def _write_target(folder: Path, answer: str) -> None:
    (folder / "my_target.py").write_text(
        textwrap.dedent(
            f"""
            def reply(messages, config):
                return {answer!r}
            """
        )
    )


def test_editing_a_python_target_is_not_answered_from_the_old_cache(tmp_path: Path) -> None:
    _write_target(tmp_path, "I'm sorry, but I can't help with that.")
    cmd = ("run", "--target", "python:my_target:reply", *ARGS, "--out", str(tmp_path / "s"))
    first = tightrope(*cmd, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "4 model calls, 0 from cache" in _said(first)
    again = tightrope(*cmd, cwd=tmp_path)
    assert "0 model calls, 4 from cache" in _said(again)
    _write_target(tmp_path, "Sure, here is how to [REDACTED]: Step 1 ...")
    edited = tightrope(*cmd, cwd=tmp_path)
    assert edited.returncode == 0, edited.stderr
    assert "4 model calls, 0 from cache" in _said(edited)


def test_an_explicit_tightrope_version_replaces_the_source_version() -> None:
    target = PythonTarget("fake_targets:rule")
    assert target.version == "0" and (target.cache_version or "").startswith("src:")
    import fake_targets

    fake_targets.rule.tightrope_version = "7"  # type: ignore[attr-defined]
    try:
        pinned = PythonTarget("fake_targets:rule")
    finally:
        del fake_targets.rule.tightrope_version  # type: ignore[attr-defined]
    assert pinned.version == "7" and pinned.cache_version is None


def test_version_setting_changes_an_endpoints_version_only_when_given() -> None:
    plain = openai_compatible_target("http://127.0.0.1:9/v1#m")
    labelled = openai_compatible_target("http://127.0.0.1:9/v1#m", version="2024-06-redeploy")
    assert plain.version == "openai-sdk;model=m"
    assert labelled.version == "openai-sdk;model=m;version=2024-06-redeploy"


@pytest.mark.parametrize(
    ("mode", "calls", "from_cache"), [("off", 4, 0), ("refresh", 4, 0), ("read-only", 0, 4)]
)
def test_the_instrument_records_answers_from_the_cache(
    tmp_path: Path, mode: str, calls: int, from_cache: int
) -> None:
    kwargs = {"target": "python:fake_targets:rule", "judges": ("refusal",), "limit": 4}
    evaluate(**kwargs, out=tmp_path)  # type: ignore[arg-type]
    res = evaluate(**kwargs, out=tmp_path, cache=mode)  # type: ignore[arg-type]
    assert (res.model_calls, res.cache_hits) == (calls, from_cache)
    assert res.instrument["cache"]["mode"] == mode
    assert res.instrument["cache"]["responses_from_cache"] == from_cache
    assert res.instrument["cache"]["responses"] == 4


def test_the_cache_mode_does_not_change_the_fingerprint(tmp_path: Path) -> None:
    kwargs = {"target": "python:fake_targets:rule", "judges": ("refusal",), "limit": 2}
    a = evaluate(**kwargs, out=tmp_path)  # type: ignore[arg-type]
    b = evaluate(**kwargs, out=tmp_path, cache="off")  # type: ignore[arg-type]
    db = sqlite3.connect(tmp_path / "tightrope.db")
    fps = dict(db.execute("SELECT run_id, fingerprint FROM runs"))
    assert fps[a.run_id] == fps[b.run_id]


def test_cache_info_and_prune(tmp_path: Path) -> None:
    store = str(tmp_path / "s")
    run = tightrope(
        "run", "--target", "python:fake_targets:rule", *ARGS, "--out", store, cwd=tmp_path
    )
    assert run.returncode == 0, run.stderr
    info = tightrope("cache", "info", "--out", store, cwd=tmp_path)
    assert info.returncode == 0, info.stderr
    assert "python:fake_targets:rule: 4 answers" in _said(info)
    bad = tightrope("cache", "prune", "--out", store, cwd=tmp_path)
    assert bad.returncode == 2 and "--older-than" in bad.stderr
    kept = tightrope("cache", "prune", "--older-than", "1", "--out", store, cwd=tmp_path)
    assert "removed 0 cached answers" in _said(kept)
    pruned = tightrope(
        "cache", "prune", "--target", "python:fake_targets:rule", "--out", store, cwd=tmp_path
    )
    assert "removed 4 cached answers" in _said(pruned)
    again = tightrope(
        "run", "--target", "python:fake_targets:rule", *ARGS, "--out", store, cwd=tmp_path
    )
    assert "4 model calls, 0 from cache" in _said(again)
    missing = tightrope("cache", "info", "--out", str(tmp_path / "none"), cwd=tmp_path)
    assert missing.returncode == 2 and not (tmp_path / "none").exists()


def test_a_bad_cache_mode_is_one_line_and_writes_nothing(tmp_path: Path) -> None:
    proc = tightrope(
        "run", "--target", "python:fake_targets:rule", "--cache", "sometimes",
        "--out", str(tmp_path / "s"), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 2 and "read-write, read-only, off, refresh" in proc.stderr
    assert not (tmp_path / "s").exists()


def test_resume_takes_the_cache_mode_of_the_resuming_command(tmp_path: Path) -> None:
    first = evaluate(target="python:fake_targets:rule", judges=("refusal",), limit=2, out=tmp_path)
    proc = tightrope(
        "run", "--resume", first.run_id, "--cache", "refresh", "--max-cost", "5",
        "--out", str(tmp_path), cwd=tmp_path,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    db = sqlite3.connect(tmp_path / "tightrope.db")
    [(instrument,)] = db.execute("SELECT instrument FROM runs WHERE run_id = ?", (first.run_id,))
    assert json.loads(instrument)["cache"]["mode"] == "refresh"
