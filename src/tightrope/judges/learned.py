"""What the learned judges (`refusal-clf`, `harm-clf`) share: their weights, version and cascade.

`LearnedClassifier` reads a judge's weights file, names its version, holds the process's shared
encoders (`judges.shared`) and runs the cascade: a gate on cheap features reads every response,
SmolLM2 reads only those the gate is unsure of, and a full regression decides them. Each judge
(`judges.clf`, `judges.harm_clf`) says which features are cheap, what SmolLM2 reads, how the full
regression's features are laid out and how it labels a probability. The encoder functions live
in `judges.clf`, which imports this module, so they are imported from it at call time.
"""

from __future__ import annotations

import abc
import asyncio
import hashlib
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from tightrope.errors import InputError
from tightrope.judges._base import JudgeItem, error_verdicts
from tightrope.judges.shared import SharedEncoders, shared_encoders
from tightrope.records import JudgeKind, ScoreMeaning, Verdict, VerdictLabel


def weights_digest(path: Path) -> str:
    """Return the first 8 hex digits of the SHA-256 of the weights file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()[:8]


class LearnedClassifier(abc.ABC):
    """What the learned judges share: weights read from an ``.npz`` file, a version naming
    their generation and digest, the process's shared encoders (loaded on first use, or with
    `load()`) and the cascade that reads with them (`decide`).

    The weights hold the gate, a logistic regression `w_gate`, `b_gate` over the cheap
    features (shifted by `shift_gate` and divided by `scale_gate`, where the file has them),
    its `gate_margin`, and the full regression `w`, `b` over every feature (shifted by `shift`,
    divided by `scale`); whatever else a judge keeps there is in `arrays`. Each judge says
    which features are cheap, what SmolLM2 reads and how the full regression's features are
    laid out, and how it labels a probability (`labelled`)."""

    name: str
    kind: JudgeKind
    generation: str
    score_meaning: ScoreMeaning

    def __init__(self, weights: Path) -> None:
        if not weights.is_file():
            raise InputError(f"{self.name} weights missing at {weights}")
        import numpy as np

        with np.load(weights) as data:
            self.arrays = {k: np.asarray(data[k], dtype=np.float64) for k in data.files}
        self._w = self.arrays["w"]
        self._b = float(self.arrays["b"])
        self._shift = self.arrays["shift"]
        self._scale = self.arrays["scale"]
        self._w_gate = self.arrays["w_gate"]
        self._b_gate = float(self.arrays["b_gate"])
        width = self._w_gate.shape[0]
        self._shift_gate = self.arrays.get("shift_gate", np.zeros(width))
        self._scale_gate = self.arrays.get("scale_gate", np.ones(width))
        self._margin = float(self.arrays["gate_margin"])
        self._version = f"{self.generation}+{weights_digest(weights)}"
        self._encoders: tuple[Any, tuple[Any, Any]] | None = None
        self._held: SharedEncoders | None = None
        self._lock = threading.Lock()
        from tightrope.judges.clf import check_installed

        check_installed()

    @property
    def version(self) -> str:
        """The weights' generation, ``+`` and the first 8 hex digits of their SHA-256."""
        return self._version

    def load(self) -> None:
        """Load the encoders now (otherwise the first `judge` call does): the process's shared
        copy, where another learned judge has loaded them."""
        with self._lock:
            if self._encoders is None:
                self._held = shared_encoders()
                self._encoders = self._held.encoders

    def sentences(self, responses: Sequence[str]) -> Any:
        """Return the responses' MiniLM sentence features (`sentence_features`), through the
        shared encoders' record of recent responses where this judge holds them."""
        if self._held is not None:
            return self._held.sentence_features(responses)
        from tightrope.judges.clf import sentence_features

        assert self._encoders is not None
        return sentence_features(self._encoders[0], responses)

    @abc.abstractmethod
    def cheap_features(self, sent: Any, responses: Sequence[str]) -> Any:
        """Return the gate's unscaled features of the responses, given their MiniLM `sent`."""

    @abc.abstractmethod
    def read_states(self, reader: tuple[Any, Any], pairs: Sequence[tuple[str, str]]) -> Any:
        """Return SmolLM2's features of the (request, response) pairs the gate left."""

    @abc.abstractmethod
    def full_features(self, sent: Any, states: Any, cheap: Any) -> Any:
        """Return the full regression's unscaled features of the responses the gate left."""

    def gate_centre(self) -> float:
        """Return the gate logit at the label boundary, around which the gate is unsure."""
        return 0.0

    @property
    def encoders(self) -> tuple[Any, tuple[Any, Any]]:
        """The (MiniLM embedder, SmolLM2 reader) this judge reads with, loaded if need be."""
        self.load()
        assert self._encoders is not None
        return self._encoders

    def gate_logits(self, cheap: Any) -> Any:
        """Return the gate's logit per row of unscaled cheap features (`cheap_features`)."""
        return ((cheap - self._shift_gate) / self._scale_gate) @ self._w_gate + self._b_gate

    def full_logits(self, x: Any) -> Any:
        """Return the full regression's logit per row of unscaled full features."""
        return ((x - self._shift) / self._scale) @ self._w + self._b

    def unsure(self, z: Any) -> Any:
        """Return the indices of the gate logits `z` within the margin of `gate_centre()`:
        the responses SmolLM2 reads."""
        import numpy as np

        return np.flatnonzero(np.abs(z - self.gate_centre()) < self._margin)

    def probabilities(self, pairs: Sequence[tuple[str, str]]) -> list[float]:
        """Return the judge's probability per (request, response) (`decide`)."""
        return [p for p, _ in self.decide(pairs)]

    def decide(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[float, bool]]:
        """Return (probability, whether SmolLM2 read it) per (request, response).

        The gate reads every response; where its logit is within the margin of
        `gate_centre()`, SmolLM2 reads the pair and the full regression decides instead. Each
        response's figures depend on that response alone, never on the others in the call.
        """
        import numpy as np

        if not pairs:
            return []
        _, reader = self.encoders
        responses = [r for _, r in pairs]
        with self._lock:  # one batch at a time: torch already uses every core
            sent = self.sentences(responses)
            cheap = self.cheap_features(sent, responses)
            z = self.gate_logits(cheap)
            deferred = self.unsure(z)
            if deferred.size:
                states = self.read_states(reader, [pairs[int(i)] for i in deferred])
                x = self.full_features(sent[deferred], states, cheap[deferred])
                z[deferred] = self.full_logits(x)
        read = np.zeros(len(pairs), dtype=bool)
        read[deferred] = True
        return [(float(p), bool(r)) for p, r in zip(1.0 / (1.0 + np.exp(-z)), read, strict=True)]

    @abc.abstractmethod
    def labelled(self, pairs: Sequence[tuple[str, str]]) -> list[tuple[VerdictLabel, float, str]]:
        """Return (label, score, reason) per (request, response); each judge says how."""

    async def judge(self, items: Sequence[JudgeItem]) -> list[Verdict]:
        """Return each item's verdict (`labelled`, read in a worker thread), with the score
        typed by `score_meaning`; an exception becomes an `error` verdict for every item."""
        pairs = [(i.behavior.text, i.response) for i in items]
        try:
            decided = await asyncio.to_thread(self.labelled, pairs)
        except Exception as exc:
            return error_verdicts(self.name, self, len(items), exc, what="reading failed")
        return [
            Verdict(
                judge=self.name,
                judge_version=self.version,
                kind=self.kind,
                label=label,
                score=score,
                score_meaning=self.score_meaning,
                reason=reason,
            )
            for label, score, reason in decided
        ]
