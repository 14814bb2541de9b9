"""all-MiniLM-L6-v2 sentence embeddings, computed as sentence-transformers computes them.

The model is a BERT encoder; its sentence-transformers pipeline (the package's `modules.json`)
is three steps: the encoder over the word pieces (truncated at `max_seq_length`), the mean of
the last hidden states over the real tokens (`1_Pooling`: mean tokens), and an L2
normalisation. `SentenceEncoder` runs those three steps with transformers alone: importing
sentence-transformers brings pandas, datasets and scikit-learn along and costs about 260 MB of
resident memory, a fifth of `make run`'s budget (issue 14), to run a mean and a norm. A test
checks the embeddings against sentence-transformers' own.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

BATCH = 64


class SentenceEncoder:
    """A BERT sentence encoder with mean pooling and L2 normalisation, on the CPU, offline."""

    def __init__(self, path: Path, *, max_seq_length: int) -> None:
        from transformers import AutoModel, AutoTokenizer

        from tightrope.hfscope import quiet_transformers

        with quiet_transformers():
            self.tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
            self.model = AutoModel.from_pretrained(path, local_files_only=True).eval()
        self.max_seq_length = max_seq_length

    def encode(self, texts: Sequence[str], *, batch_size: int = BATCH) -> Any:
        """Return an (n, dim) float32 array: each text's unit-length mean token embedding.

        Texts are stripped, as sentence-transformers does, and batched by length so that a
        batch pads little; the attention mask keeps padding out of every mean, so a text's
        embedding does not depend on its batch.
        """
        import numpy as np
        import torch

        dim = int(self.model.config.hidden_size)
        out = np.zeros((len(texts), dim), dtype=np.float32)
        order = sorted(range(len(texts)), key=lambda i: -len(texts[i]))
        with torch.inference_mode():
            for start in range(0, len(order), batch_size):
                idx = order[start : start + batch_size]
                enc = self.tokenizer(
                    [texts[i].strip() for i in idx],
                    padding=True,
                    truncation="longest_first",
                    max_length=self.max_seq_length,
                    return_tensors="pt",
                )
                states = self.model(**enc).last_hidden_state
                mask = enc["attention_mask"].unsqueeze(-1).to(states.dtype)
                mean = (states * mask).sum(1) / mask.sum(1).clamp(min=1e-9)
                unit = torch.nn.functional.normalize(mean, p=2, dim=1)
                out[idx] = unit.numpy()
        return out
