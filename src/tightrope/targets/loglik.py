"""Scoring a multiple-choice item's options by log-likelihood with a transformers causal LM.

The prompt is the conversation rendered by the chat template with the generation prompt, the
same text the generate path sends. Each option (a letter, `A`) is scored by the log-probability
the model gives its tokens as the reply's first token(s): one forward pass over the batch when
every option is one token (the usual case: `log_softmax` of the logits at the last prompt
position), else one pass over every prompt + option sequence, summing the option's tokens.

Rows are left-padded to one width, with the attention mask and position ids counted from each
row's first real token, so a batch scores every row as it would be scored alone.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any


def continuation_ids(tok: Any, prompt_ids: Sequence[int], prompt: str, option: str) -> list[int]:
    """Return the token ids `option` adds after `prompt` (whose ids are `prompt_ids`).

    The ids are those of `prompt + option` past the prompt's own, so the option is tokenized as
    it would follow the prompt in a reply; where the tokenizer merges across the boundary
    (the prompt's ids are not a prefix), the option is tokenized on its own. ValueError when
    the option has no tokens.
    """
    full = tok(prompt + option, add_special_tokens=False)["input_ids"]
    n = len(prompt_ids)
    ids = list(full[n:]) if list(full[:n]) == list(prompt_ids) else []
    if not ids:
        ids = list(tok(option, add_special_tokens=False)["input_ids"])
    if not ids:
        raise ValueError(f"option {option!r} has no tokens")
    return [int(i) for i in ids]


def _last_logits(model: Any, rows: Sequence[Sequence[int]], pad_id: int, keep: int) -> Any:
    """Return the float32 logits of the last `keep` positions of each row, left-padded."""
    import torch

    width = max(len(r) for r in rows)
    ids = torch.tensor([[pad_id] * (width - len(r)) + list(r) for r in rows], dtype=torch.long)
    mask = torch.tensor([[0] * (width - len(r)) + [1] * len(r) for r in rows], dtype=torch.long)
    # Positions count from each row's first real token, as in generation with left padding.
    positions = (mask.cumsum(-1) - 1).clamp(min=0)
    device = next(model.parameters()).device
    kwargs: dict[str, Any] = {}
    if "logits_to_keep" in inspect.signature(model.forward).parameters:
        kwargs["logits_to_keep"] = keep  # a (batch, keep, vocab) tensor, not (batch, width, vocab)
    with torch.inference_mode():
        out = model(
            input_ids=ids.to(device),
            attention_mask=mask.to(device),
            position_ids=positions.to(device),
            use_cache=False,
            **kwargs,
        )
    return out.logits[:, -keep:, :].float()


def option_logprobs(
    tok: Any,
    model: Any,
    prompts: Sequence[str],
    options: Sequence[Sequence[str]],
    *,
    joint: bool = False,
) -> list[list[float]]:
    """Return, for each prompt, log P(option | prompt) of each of its options, in order.

    One forward pass over the prompts when every option is a single token; otherwise (or with
    `joint`, which tests use to check that both ways agree) one pass over every prompt + option
    sequence, summing the log-probabilities of the option's tokens.
    """
    import torch

    pad = tok.pad_token_id if tok.pad_token_id is not None else tok.eos_token_id
    prompt_ids = [list(tok(p, add_special_tokens=False)["input_ids"]) for p in prompts]
    conts = [
        [continuation_ids(tok, ids, p, o) for o in opts]
        for ids, p, opts in zip(prompt_ids, prompts, options, strict=True)
    ]
    if not joint and all(len(c) == 1 for row in conts for c in row):
        last = torch.log_softmax(_last_logits(model, prompt_ids, pad, 1)[:, -1, :], dim=-1)
        return [[float(last[i, c[0]]) for c in row] for i, row in enumerate(conts)]
    rows = [ids + c for ids, row in zip(prompt_ids, conts, strict=True) for c in row]
    lengths = [len(c) for row in conts for c in row]
    keep = max(lengths) + 1
    logp = torch.log_softmax(_last_logits(model, rows, pad, keep), dim=-1)
    flat: list[float] = []
    for k, (row, n) in enumerate(zip(rows, lengths, strict=True)):
        # The option's token t sits at index keep - n + t and is predicted one position before.
        flat.append(sum(float(logp[k, keep - n + t - 1, row[len(row) - n + t]]) for t in range(n)))
    out: list[list[float]] = []
    for row in conts:
        out.append(flat[: len(row)])
        flat = flat[len(row) :]
    return out
