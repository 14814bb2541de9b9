"""The encoders the learned judges share: one copy per process, and their recent work.

refusal-clf and harm-clf read with the same MiniLM and the same 20 layers of SmolLM2
(`judges.clf.load_encoders`). `shared_encoders()` hands every learned judge the process's one
copy, loaded by the first and freed with the last holder. The copy also keeps the MiniLM
sentence features of the responses read last, so the second judge over a batch reuses them.
The encoders are loaded through `judges.clf` at call time: `clf` imports this module.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any


class SharedEncoders:
    """Both encoders, loaded once per process for every learned judge that holds this object
    (refusal-clf and harm-clf read with the same MiniLM and the same 20 layers of SmolLM2);
    they are freed when the last holder lets go.

    It also keeps the MiniLM sentence features of the last `RECENT` responses read, so that
    the second judge over a batch of responses (the judge stage hands each batch to every
    judge in turn) reuses what the first computed instead of reading them again.
    """

    RECENT = 512  # responses; 1,536 float64 each, about 6 MB

    def __init__(self) -> None:
        from tightrope.judges import clf

        self.encoders = clf.load_encoders()
        self._recent: OrderedDict[str, Any] = OrderedDict()
        self._recent_lock = threading.Lock()

    def sentence_features(self, texts: Sequence[str]) -> Any:
        """Return `sentence_features` of `texts` with this object's MiniLM, computing (together,
        in one call) only those not among the last `RECENT` responses read. A text's features
        depend on that text alone, up to float32 rounding in the batch it was read with."""
        import numpy as np

        from tightrope.judges.clf import SENTENCE_DIM, sentence_features

        known: dict[str, Any] = {}
        with self._recent_lock:
            for t in texts:
                if t in self._recent:
                    self._recent.move_to_end(t)
                    known[t] = self._recent[t]
        missing = [t for t in dict.fromkeys(texts) if t not in known]
        if missing:
            fresh = sentence_features(self.encoders[0], missing)
            with self._recent_lock:
                for t, row in zip(missing, fresh, strict=True):
                    known[t] = self._recent[t] = row
                while len(self._recent) > self.RECENT:
                    self._recent.popitem(last=False)
        return np.array([known[t] for t in texts]).reshape(len(texts), 4 * SENTENCE_DIM)


_shared: weakref.ref[SharedEncoders] | None = None
_shared_lock = threading.Lock()


def shared_encoders() -> SharedEncoders:
    """Return the process's SharedEncoders, loading them if no judge holds them now. Reading
    does not change them, so judges in different threads may read with them at once."""
    global _shared
    with _shared_lock:
        held = _shared() if _shared is not None else None
        if held is None:
            held = SharedEncoders()
            _shared = weakref.ref(held)
        return held


def forget_recent() -> None:
    """Empty the shared encoders' record of recent sentence features, if they are loaded (a
    benchmark that reads the same responses again times reading them, not remembering)."""
    held = _shared() if _shared is not None else None
    if held is not None:
        with held._recent_lock:
            held._recent.clear()
