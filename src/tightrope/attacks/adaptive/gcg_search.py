"""The GCG token search itself (Zou et al. 2023, "Universal and Transferable Adversarial Attacks
on Aligned Language Models"), in torch, for one request on one white-box chat model.

The request is sent as `request + " " + suffix`. At each step the gradient of the loss (the
cross-entropy of the affirmative target string right after the assistant turn opens) with
respect to a one-hot encoding of the suffix tokens ranks, per position, the `topk` tokens that
most lower the loss to first order. A batch of `batch` candidates, each swapping one random
position for one random token of that position's top-k, is evaluated exactly, and the candidate
with the lowest loss becomes the new suffix. The best suffix seen is returned.

Candidates whose text does not tokenise back to the same ids are dropped (the suffix is sent as
text), and only printable ASCII, non-special tokens are used. torch is imported inside the
functions, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import inspect
import weakref
from dataclasses import dataclass, field
from typing import Any

PLACEHOLDER = "{optim_str}"


@dataclass(frozen=True)
class GcgSettings:
    """Budget and randomness of one search."""

    suffix_len: int = 20
    steps: int = 10
    batch: int = 32
    topk: int = 64
    seed: int = 0
    retokenize: bool = True


@dataclass(frozen=True)
class GcgResult:
    """The best suffix found, its loss, the loss before any step, and the loss per step."""

    suffix: str
    suffix_ids: list[int]
    best_loss: float
    initial_loss: float
    losses: list[float] = field(default_factory=list)


_ALLOWED: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def allowed_tokens(tok: Any, vocab_size: int) -> Any:
    """Return a bool tensor over the embedding rows: True for usable suffix tokens.

    Special tokens, rows past the tokenizer's vocabulary, and tokens whose text is empty,
    blank or not printable ASCII are excluded. Cached per tokenizer (one pass over the
    vocabulary takes about a second).
    """
    try:
        cached = _ALLOWED.get(tok)
    except TypeError:
        cached = None
    if cached is not None and cached.shape[0] == vocab_size:
        return cached
    mask = _allowed(tok, vocab_size)
    with contextlib.suppress(TypeError):
        _ALLOWED[tok] = mask
    return mask


def _allowed(tok: Any, vocab_size: int) -> Any:
    import torch

    n = min(len(tok), vocab_size)
    texts = tok.batch_decode([[i] for i in range(n)])
    mask = torch.zeros(vocab_size, dtype=torch.bool)
    special = set(tok.all_special_ids)
    for i, text in enumerate(texts):
        mask[i] = i not in special and bool(text.strip()) and text.isascii() and text.isprintable()
    return mask


def _split_template(tok: Any, request: str, system_prompt: str | None) -> tuple[str, str]:
    messages = [{"role": "user", "content": f"{request} {PLACEHOLDER}"}]
    if system_prompt is not None:
        messages.insert(0, {"role": "system", "content": system_prompt})
    text = tok.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    before, sep, after = text.partition(PLACEHOLDER)
    if not sep:
        raise ValueError("the chat template dropped the request text")
    return before, after


class _Objective:
    """Loss of the target string after `before + suffix + after`, batched over suffixes."""

    def __init__(self, tok: Any, model: Any, before: str, after: str, target: str) -> None:
        import torch

        self.model = model
        device = model.device

        def ids(text: str) -> Any:
            return torch.tensor(
                [tok(text, add_special_tokens=False).input_ids], dtype=torch.long, device=device
            )

        self.before, self.after, self.target = ids(before), ids(after), ids(target)
        if self.target.shape[1] == 0:
            raise ValueError("the target string tokenises to nothing")
        self.embed = model.get_input_embeddings()
        params = inspect.signature(model.forward).parameters
        self.keep = (
            {"logits_to_keep": self.target.shape[1] + 1} if "logits_to_keep" in params else {}
        )

    def _target_logits(self, logits: Any) -> Any:
        t = self.target.shape[1]
        return logits[:, -(t + 1) : -1, :]

    def losses(self, suffixes: Any, chunk: int) -> Any:
        """Return the loss of each suffix row (no gradient)."""
        import torch

        out = []
        with torch.no_grad():
            for i in range(0, suffixes.shape[0], chunk):
                part = suffixes[i : i + chunk]
                b = part.shape[0]
                ids = torch.cat(
                    [
                        self.before.expand(b, -1),
                        part,
                        self.after.expand(b, -1),
                        self.target.expand(b, -1),
                    ],
                    dim=1,
                )
                logits = self._target_logits(self.model(input_ids=ids, **self.keep).logits)
                ce = torch.nn.functional.cross_entropy(
                    logits.float().transpose(1, 2), self.target.expand(b, -1), reduction="none"
                )
                out.append(ce.mean(dim=1))
        return torch.cat(out)

    def gradient(self, suffix: Any) -> Any:
        """Return d loss / d one-hot(suffix), shape (suffix length, vocabulary)."""
        import torch

        weight = self.embed.weight
        one_hot = torch.zeros(
            suffix.shape[0], weight.shape[0], device=weight.device, dtype=weight.dtype
        )
        one_hot.scatter_(1, suffix[:, None], 1.0)
        one_hot.requires_grad_(True)
        embeds = torch.cat(
            [
                self.embed(self.before),
                (one_hot @ weight)[None],
                self.embed(self.after),
                self.embed(self.target),
            ],
            dim=1,
        )
        logits = self._target_logits(self.model(inputs_embeds=embeds, **self.keep).logits)
        loss = torch.nn.functional.cross_entropy(logits[0].float(), self.target[0])
        (grad,) = torch.autograd.grad(loss, one_hot)
        return grad


def _first_allowed(tok: Any, allowed: Any) -> int:
    ids = tok("!", add_special_tokens=False).input_ids
    if len(ids) == 1 and bool(allowed[ids[0]]):
        return int(ids[0])
    return int(allowed.nonzero()[0].item())


def _retokenizes(tok: Any, rows: Any) -> Any:
    import torch

    texts = tok.batch_decode(rows.tolist())
    keep = [
        tok(text, add_special_tokens=False).input_ids == row
        for text, row in zip(texts, rows.tolist(), strict=True)
    ]
    return torch.tensor(keep, dtype=torch.bool, device=rows.device)


def gcg_search(
    tok: Any,
    model: Any,
    *,
    request: str,
    target: str,
    settings: GcgSettings,
    system_prompt: str | None = None,
) -> GcgResult:
    """Run the search and return the best suffix with its loss trace.

    `model` is a transformers causal LM and `tok` its tokenizer with a chat template; the
    model's weights are not changed. Deterministic for `settings.seed` on a given device.
    """
    import torch

    before, after = _split_template(tok, request, system_prompt)
    objective = _Objective(tok, model, before, after, target)
    weight = objective.embed.weight
    allowed = allowed_tokens(tok, weight.shape[0]).to(weight.device)
    gen = torch.Generator().manual_seed(settings.seed)
    suffix = torch.full(
        (settings.suffix_len,), _first_allowed(tok, allowed), dtype=torch.long, device=weight.device
    )
    chunk = max(1, settings.batch)
    initial = float(objective.losses(suffix[None], chunk)[0])
    best_loss, best = initial, suffix.clone()
    trace = []
    topk = min(settings.topk, int(allowed.sum()))
    for _ in range(settings.steps):
        grad = objective.gradient(suffix)
        grad = grad / grad.norm(dim=-1, keepdim=True).clamp_min(1e-12)
        grad[:, ~allowed] = float("inf")
        top = (-grad).topk(topk, dim=1).indices
        pos = torch.randint(0, settings.suffix_len, (settings.batch,), generator=gen)
        pick = torch.randint(0, topk, (settings.batch,), generator=gen)
        cands = suffix.repeat(settings.batch, 1)
        rows = torch.arange(settings.batch, device=cands.device)
        cands[rows, pos.to(cands.device)] = top[pos.to(top.device), pick.to(top.device)]
        if settings.retokenize:
            keep = _retokenizes(tok, cands)
            if bool(keep.any()):
                cands = cands[keep]
        losses = objective.losses(cands, chunk)
        i = int(losses.argmin())
        suffix, loss = cands[i].clone(), float(losses[i])
        trace.append(loss)
        if loss < best_loss:
            best_loss, best = loss, suffix.clone()
    ids = [int(x) for x in best.tolist()]
    return GcgResult(
        suffix=tok.decode(ids),
        suffix_ids=ids,
        best_loss=best_loss,
        initial_loss=initial,
        losses=trace,
    )
