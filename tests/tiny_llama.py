"""A tiny randomly initialised Llama with a word-level tokenizer and a chat template.

Shared by the hf: target tests and the GCG tests (a vocabulary large enough for the suffix
search to have tokens to choose from). Saved to a folder so `hf:PATH` can load it.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

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
    "sure",
    "here",
    "step",
    "one",
    "two",
    "three",
    "please",
    "tell",
    "me",
    "about",
    "this",
    "that",
    "it",
    "can",
    "you",
    "help",
    "with",
    "explain",
    "write",
    "story",
    "poem",
    "code",
    "list",
    "make",
    "show",
    "give",
    "ok",
    "fine",
    "good",
    "bad",
    "why",
    "when",
    "where",
    "who",
    "which",
]
TEMPLATE = (
    "{% for m in messages %}<s>{{ m['role'] }} {{ m['content'] }}</s> {% endfor %}"
    "{% if add_generation_prompt %}<s>assistant {% endif %}"
)


def build_tiny_llama(
    folder: Path, *, seed: int = 0, extra: Sequence[str] = (), init_range: float = 0.02
) -> Path:
    """Build, save and return the folder of a tiny Llama chat model.

    `extra` words are added to the end of the vocabulary (the option letters A, B, C for the
    log-likelihood tests) and `init_range` is the weights' spread (transformers' default 0.02
    gives nearly uniform next-token probabilities; a larger one makes every token of the
    context matter); left as they are, the model is the one every other test uses.
    """
    import torch
    from tokenizers import Tokenizer, models, pre_tokenizers
    from transformers import LlamaConfig, LlamaForCausalLM, PreTrainedTokenizerFast

    vocab = {
        t: i
        for i, t in enumerate(
            ["<pad>", "<s>", "</s>", "<unk>", "user", "assistant", "system", *WORDS, *extra]
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
    torch.manual_seed(seed)
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
        initializer_range=init_range,
    )
    model = LlamaForCausalLM(config)
    folder.mkdir(parents=True, exist_ok=True)
    tok.save_pretrained(folder)
    model.save_pretrained(folder)
    return folder
