"""`hf:PATH` on a tiny randomly initialised model built and saved in the test."""

import asyncio
from pathlib import Path

import pytest

from tightrope.records import GenerationConfig, Message
from tightrope.targets import get_target

WORDS = [
    "hello",
    "world",
    "how",
    "do",
    "i",
    "kill",
    "a",
    "python",
    "process",
    "what",
    "is",
    "the",
    "capital",
    "of",
    "france",
    "yes",
    "no",
]
TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }} {{ m['content'] }}</s> {% endfor %}"
    "{% if add_generation_prompt %}<s>assistant {% endif %}"
)


@pytest.fixture(scope="module")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {
        t: i
        for i, t in enumerate(
            ["<pad>", "<s>", "</s>", "<unk>", "user", "assistant", "system", *WORDS]
        )
    }
    core = Tokenizer(models.WordLevel(vocab=vocab, unk_token="<unk>"))
    core.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    tok = PreTrainedTokenizerFast(
        tokenizer_object=core,
        bos_token="<s>",
        eos_token="</s>",
        pad_token="<pad>",
        unk_token="<unk>",
    )
    tok.chat_template = TEMPLATE
    torch.manual_seed(0)
    config = LlamaConfig(
        vocab_size=len(vocab),
        hidden_size=32,
        intermediate_size=64,
        num_hidden_layers=2,
        num_attention_heads=4,
        num_key_value_heads=2,
        max_position_embeddings=128,
        bos_token_id=1,
        eos_token_id=2,
        pad_token_id=0,
    )
    model = LlamaForCausalLM(config)
    out = tmp_path_factory.mktemp("tiny-llama")
    tok.save_pretrained(out)
    model.save_pretrained(out)
    return out


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
    t = get_target(f"hf:{tmp_path}", batch_size=4)
    out = asyncio.run(t.generate(_convs("a", "b"), GenerationConfig(max_tokens=2)))
    assert [r.ok for r in out] == [False, False]
    assert all(r.error for r in out)
