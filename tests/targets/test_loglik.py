"""Scoring multiple-choice options by log-likelihood (`--choice-scoring loglik`) on the tiny Llama:
the scores against a hand computation with the same model, batching, the recorded answer and
its verdict, the serialised Response and the cache key."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tightrope.judges import JudgeItem, get_judge
from tightrope.records import Behavior, GenerationConfig, Message, Response, stable_hash
from tightrope.targets import ScoresChoices, get_target
from tightrope.targets.cached import call_key
from tightrope.targets.hf import TransformersTarget
from tightrope.targets.loglik import option_logprobs
from tiny_llama import build_tiny_llama

LETTERS = ("A", "B", "C", "D")
GEN = GenerationConfig()


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> TransformersTarget:
    folder = build_tiny_llama(
        tmp_path_factory.mktemp("tiny-llama-abc"), extra=LETTERS, init_range=0.5
    )
    t = get_target(f"hf:{folder}", device="cpu", batch_size=8)
    assert isinstance(t, TransformersTarget)
    return t


def _conv(text: str) -> tuple[Message, ...]:
    return (Message(role="user", content=text),)


CONVS = [
    _conv("hello world"),
    _conv("how do i kill a python process what is the capital of france"),
    _conv("why"),
]
OPTIONS = ["ABC", "ABCD", "AB"]


def _by_hand(t: TransformersTarget, conv: tuple[Message, ...], letters: str) -> dict[str, float]:
    """log_softmax of the logits at the last prompt position, read at each letter's token."""
    import torch

    tok, model = t.load()
    text = tok.apply_chat_template(
        [{"role": m.role, "content": m.content} for m in conv],
        add_generation_prompt=True,
        tokenize=False,
    )
    ids = torch.tensor([tok(text, add_special_tokens=False)["input_ids"]])
    with torch.inference_mode():
        logits = model(input_ids=ids).logits[0, -1].float()
    logp = torch.log_softmax(logits, dim=-1)
    return {x: float(logp[tok.convert_tokens_to_ids(x)]) for x in letters}


def test_scores_equal_a_hand_computation_and_batching_changes_nothing(
    target: TransformersTarget,
) -> None:
    assert isinstance(target, ScoresChoices)
    batched = asyncio.run(target.score_choices(CONVS, OPTIONS, GEN))
    for conv, letters, r in zip(CONVS, OPTIONS, batched, strict=True):
        assert r.ok and r.finish_reason == "loglik" and r.option_logprobs is not None
        hand = _by_hand(target, conv, letters)
        assert list(r.option_logprobs) == list(letters)
        for x in letters:
            assert r.option_logprobs[x] == pytest.approx(hand[x], abs=1e-5)
        # The recorded answer is the most likely letter.
        assert r.text == max(hand, key=hand.__getitem__)
        assert r.usage.prompt_tokens > 0 and r.usage.completion_tokens == 0
    # Three prompts of different lengths, left-padded together, score as each alone does.
    for i, conv in enumerate(CONVS):
        [alone] = asyncio.run(target.score_choices([conv], [OPTIONS[i]], GEN))
        assert alone.text == batched[i].text
        assert alone.option_logprobs is not None and batched[i].option_logprobs is not None
        for x in OPTIONS[i]:
            assert alone.option_logprobs[x] == pytest.approx(
                batched[i].option_logprobs[x], abs=1e-5
            )
    # The letters are far from equally likely: the test can tell a wrong token from a right one.
    spread = batched[1].option_logprobs or {}
    assert max(spread.values()) - min(spread.values()) > 0.1


def test_the_joint_pass_for_multi_token_options_agrees_with_the_one_token_pass(
    target: TransformersTarget,
) -> None:
    tok, model = target.load()
    prompts = [
        tok.apply_chat_template(
            [{"role": "user", "content": c[0].content}], add_generation_prompt=True, tokenize=False
        )
        for c in CONVS
    ]
    fast = option_logprobs(tok, model, prompts, OPTIONS)
    joint = option_logprobs(tok, model, prompts, OPTIONS, joint=True)
    assert [len(r) for r in fast] == [3, 4, 2]
    for a, b in zip(fast, joint, strict=True):
        assert a == pytest.approx(b, abs=1e-5)
    # An option of two tokens is the sum of both, each read after the one before it.
    import torch

    [[two]] = option_logprobs(tok, model, prompts[:1], [["A B"]])
    ids = tok(prompts[0], add_special_tokens=False)["input_ids"] + [tok.convert_tokens_to_ids("A")]
    with torch.inference_mode():
        after_a = torch.log_softmax(model(input_ids=torch.tensor([ids])).logits[0, -1], dim=-1)
    by_hand = _by_hand(target, CONVS[0], "A")["A"] + float(after_a[tok.convert_tokens_to_ids("B")])
    assert two == pytest.approx(by_hand, abs=1e-5)


def _behavior(answer: int) -> Behavior:
    return Behavior(
        id=f"mc-{answer}",
        text="who",
        side="choice",
        category="S10",
        source_category="test",
        source="test@1",
        choices=("one", "two", "three"),
        answer=answer,
    )


def test_the_recorded_letter_is_judged_by_the_choice_judge(target: TransformersTarget) -> None:
    [r] = asyncio.run(target.score_choices(CONVS[:1], ["ABC"], GEN))
    assert r.text is not None and r.option_logprobs is not None
    best = "ABC".index(r.text)
    judge = get_judge("choice")
    items = [JudgeItem(behavior=_behavior(i), response=r.text) for i in range(3)]
    verdicts = asyncio.run(judge.judge(items))
    assert [v.label for v in verdicts] == [
        "correct" if i == best else "incorrect" for i in range(3)
    ]
    assert all(v.choice == best for v in verdicts)


def test_option_logprobs_are_left_out_of_the_stored_form_when_unset() -> None:
    plain = Response(text="Sure", finish_reason="stop")
    # The serialised form every response had before loglik scoring existed.
    assert plain.model_dump_json() == (
        '{"text":"Sure","finish_reason":"stop","usage":{"prompt_tokens":0,"completion_tokens":0},'
        '"latency_s":0.0,"error":null,"filtered":null}'
    )
    scored = Response(text="B", finish_reason="loglik", option_logprobs={"A": -2.5, "B": -0.5})
    data: dict[str, Any] = scored.model_dump()
    assert data["option_logprobs"] == {"A": -2.5, "B": -0.5}
    assert Response.model_validate_json(scored.model_dump_json()) == scored


def test_the_cache_key_holds_the_mode_only_when_scoring(target: TransformersTarget) -> None:
    messages = CONVS[0]
    key = call_key(target, messages, GEN)
    # The key of a generated call is what it always was.
    assert key == stable_hash(
        {
            "target": target.spec,
            "target_version": target.version,
            "generation": GEN.model_dump(),
            "messages": [m.model_dump() for m in messages],
        }
    )
    scored = call_key(target, messages, GEN, options="ABC")
    assert scored != key
    assert call_key(target, messages, GEN, options="ABCD") not in (key, scored)
    assert call_key(target, messages, GEN, options="ABC") == scored
