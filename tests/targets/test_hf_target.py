"""`hf:PATH` on a tiny randomly initialised model built and saved in the test."""

import asyncio
from pathlib import Path

import pytest

from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target
from tightrope.targets.hf import TransformersTarget
from tiny_llama import build_tiny_llama


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_llama(tmp_path_factory.mktemp("tiny-llama"))


def _convs(*prompts: str) -> list[tuple[Message, ...]]:
    return [(Message(role="user", content=p),) for p in prompts]


def test_hf_target_generates_batched_and_deterministically(tiny_model: Path) -> None:
    t = get_target(f"hf:{tiny_model}", batch_size=8, device="cpu")
    assert t.max_batch_size == 8 and str(tiny_model) in t.version
    config = GenerationConfig(max_tokens=6)
    batch = _convs("hello world", "how do i kill a python process", "what is the capital of france")
    first = asyncio.run(t.generate(batch, config))
    again = asyncio.run(t.generate(batch, config))
    assert [r.text for r in first] == [r.text for r in again]
    for r in first:
        assert r.ok and r.text is not None
        assert 1 <= r.usage.completion_tokens <= 6
        assert r.finish_reason in ("stop", "length")
    # Left padding: a prompt answered alone gets the same greedy answer as in the batch.
    [alone] = asyncio.run(t.generate(batch[1:2], config))
    assert alone.text == first[1].text


def test_a_broken_model_folder_is_an_error_record_per_prompt(tmp_path: Path) -> None:
    # A folder that looks like a model (config.json) but cannot load: found only when loading.
    # (A folder without config.json is refused when the target is made: test_target_specs.py.)
    (tmp_path / "config.json").write_text("{not json", encoding="utf-8")
    t = get_target(f"hf:{tmp_path}", batch_size=4)
    out = asyncio.run(t.generate(_convs("a", "b"), GenerationConfig(max_tokens=2)))
    assert [r.ok for r in out] == [False, False]
    assert all(r.error for r in out)


def test_release_frees_the_model_and_the_next_call_loads_it_again(tiny_model: Path) -> None:
    """After its last generation a run releases a local target (issue 14: the judges then run
    without its weights beside them); a later call loads the model again, with the same
    answers."""
    import gc
    import weakref

    t = get_target(f"hf:{tiny_model}", batch_size=2, device="cpu")
    assert isinstance(t, TransformersTarget)
    batch = [(Message(role="user", content="hello world"),)]
    config = GenerationConfig(max_tokens=4)
    first = asyncio.run(t.generate(batch, config))
    alive = weakref.ref(t.load()[1])
    t.release()
    gc.collect()
    assert alive() is None, "nothing else holds the model, so it is freed"
    again = asyncio.run(t.generate(batch, config))
    assert [r.text for r in again] == [r.text for r in first] and again[0].ok
